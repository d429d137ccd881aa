// See device_scheduler.h.
#include "ui/device_scheduler.h"

namespace lwb::ui {

std::string deviceKey(const std::string &device)
{
    return device == "cuda" ? std::string("cuda:0") : device;
}

std::vector<std::size_t> jobsToStart(const std::vector<std::string> &queuedDevices,
                                     const std::set<std::string> &busyDevices)
{
    std::set<std::string> taken = busyDevices;
    std::vector<std::size_t> starting;
    for (std::size_t i = 0; i < queuedDevices.size(); ++i) {
        if (taken.insert(deviceKey(queuedDevices[i])).second)
            starting.push_back(i);
    }
    return starting;
}

} // namespace lwb::ui
