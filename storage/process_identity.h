// ProcessIdentity: which process owns a running run, told apart from a later
// process that happens to get the same PID.
//
// A recorder writes its identity (PID, the process start time in clock ticks
// since boot from /proc/PID/stat, host name) into the run row. On the next
// open the store asks: is that process still there? On the same host the
// answer is exact (kill(pid, 0) plus the start time); for a run recorded on
// another host (a shared file) only the heartbeat can tell, see run_store.h.
#pragma once

#include <cstdint>
#include <string>

namespace lwb::storage {

struct ProcessIdentity
{
    std::int64_t pid = 0;
    std::int64_t startTicks = 0; // 0 where /proc is not available
    std::string host;
};

enum class ProcessState { Alive, Gone, Unknown };

ProcessIdentity currentProcess();

// Alive / Gone for a process on this host; Unknown for another host or an
// identity with no PID.
ProcessState processState(const ProcessIdentity &identity);

// Start time of a process from /proc/PID/stat (field 22), 0 if unavailable.
std::int64_t processStartTicks(std::int64_t pid);

} // namespace lwb::storage
