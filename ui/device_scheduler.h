// Which queued jobs may start now: one job at a time per device.
//
// A job's device is its RunConfig::device ("cpu", "cuda" or "cuda:N"). Jobs
// on different devices run side by side (the CPU and each GPU are separate
// workers); two jobs on one device would only slow each other down and share
// its memory, so the second waits. The queue keeps its order per device: a
// job starts before any later job for the same device, while a job for a free
// device may start ahead of earlier jobs that wait for a busy one.
//
// Pure functions over plain values, so the rule is tested without threads.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <vector>

namespace lwb::ui {

// The device a job occupies: "cuda" is the first GPU, "cuda:0"; everything
// else as written (the config's validation has already checked the form).
std::string deviceKey(const std::string &device);

// Indices into queuedDevices (the queue's devices, in queue order) of the
// jobs to start now, in queue order: the first queued job of each device
// that is not in busyDevices (keys as deviceKey gives them).
std::vector<std::size_t> jobsToStart(const std::vector<std::string> &queuedDevices,
                                     const std::set<std::string> &busyDevices);

} // namespace lwb::ui
