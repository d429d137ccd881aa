// Status words of the runs table (they are also the words the CLI prints).
#include "storage/run_records.h"

namespace lwb::storage {

namespace {

struct StatusName
{
    RunStatus status;
    const char *name;
};

constexpr StatusName kStatusNames[] = {
    {RunStatus::Queued, "queued"}, {RunStatus::Running, "running"},     {RunStatus::Finished, "finished"},
    {RunStatus::Failed, "failed"}, {RunStatus::Cancelled, "cancelled"}, {RunStatus::Interrupted, "interrupted"},
};

} // namespace

const char *toString(RunStatus status)
{
    for (const StatusName &entry : kStatusNames) {
        if (entry.status == status)
            return entry.name;
    }
    return "failed";
}

std::optional<RunStatus> parseRunStatus(const std::string &text)
{
    for (const StatusName &entry : kStatusNames) {
        if (text == entry.name)
            return entry.status;
    }
    return std::nullopt;
}

} // namespace lwb::storage
