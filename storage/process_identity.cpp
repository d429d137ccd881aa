// Process identity on POSIX: getpid, gethostname, kill(pid, 0), and the start
// time from /proc/PID/stat on Linux (field 22, after the parenthesised command
// name, which may itself contain spaces and parentheses).
#include "storage/process_identity.h"

#include <cerrno>
#include <csignal>
#include <fstream>
#include <sstream>
#include <sys/types.h>
#include <unistd.h>

namespace lwb::storage {

namespace {

struct ProcStat
{
    char state = '?';
    std::int64_t startTicks = 0;
};

// Fields 3 (state) and 22 (starttime) of /proc/PID/stat; false if unreadable.
bool readProcStat(std::int64_t pid, ProcStat &out)
{
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    if (!stat)
        return false;
    std::string line;
    std::getline(stat, line);
    const std::size_t close = line.rfind(')');
    if (close == std::string::npos)
        return false;
    std::istringstream fields(line.substr(close + 1));
    std::string field;
    for (int index = 3; index <= 22; ++index) {
        if (!(fields >> field))
            return false;
        if (index == 3)
            out.state = field.empty() ? '?' : field[0];
    }
    try {
        out.startTicks = std::stoll(field);
    } catch (...) {
        return false;
    }
    return true;
}

} // namespace

std::int64_t processStartTicks(std::int64_t pid)
{
    ProcStat stat;
    return readProcStat(pid, stat) ? stat.startTicks : 0;
}

ProcessIdentity currentProcess()
{
    ProcessIdentity identity;
    identity.pid = static_cast<std::int64_t>(::getpid());
    identity.startTicks = processStartTicks(identity.pid);
    char host[256] = {};
    if (::gethostname(host, sizeof(host) - 1) == 0)
        identity.host = host;
    return identity;
}

ProcessState processState(const ProcessIdentity &identity)
{
    if (identity.pid <= 0 || identity.host.empty())
        return ProcessState::Unknown;
    if (identity.host != currentProcess().host)
        return ProcessState::Unknown;
    if (::kill(static_cast<pid_t>(identity.pid), 0) != 0 && errno != EPERM)
        return ProcessState::Gone;
    // The PID exists; it is the same process only if it started at the same
    // time, and a zombie (killed, not yet reaped) is no longer recording.
    ProcStat stat;
    if (readProcStat(identity.pid, stat)) {
        if (stat.state == 'Z' || stat.state == 'X')
            return ProcessState::Gone;
        if (identity.startTicks != 0 && stat.startTicks != identity.startTicks)
            return ProcessState::Gone;
    }
    return ProcessState::Alive;
}

} // namespace lwb::storage
