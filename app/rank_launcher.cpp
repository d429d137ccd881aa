// See rank_launcher.h. POSIX: fork/exec of /proc/self/exe, waitpid.
#include "app/rank_launcher.h"

#include "app/interrupt_watch.h"

#include "engine/core/error.h"
#include "engine/dist/dist_environment.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <optional>
#include <ostream>
#include <thread>

namespace lwb::cli {

namespace {

std::atomic<int> gForwardedSignal{0};

pid_t startRank(const LaunchRequest &request, int rank, int port)
{
    const pid_t child = ::fork();
    if (child < 0)
        throw Error("lorawb launch",
                    std::string("cannot start rank ") + std::to_string(rank) + ": " + std::strerror(errno));
    if (child > 0)
        return child;
    // Its own process group: a terminal's Ctrl-C reaches the launcher only,
    // which passes it on once (a second SIGINT makes a rank exit at once).
    // And it ends with the launcher, should that be killed.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    unblockInterruptsInChild(); // the exec'd lorawb blocks them again for its own watch thread
    const auto set = [](const char *name, const std::string &value) { ::setenv(name, value.c_str(), 1); };
    set("WORLD_SIZE", std::to_string(request.ranks));
    set("RANK", std::to_string(rank));
    set("LOCAL_RANK", std::to_string(rank));
    set("LOCAL_WORLD_SIZE", std::to_string(request.ranks));
    set("MASTER_ADDR", "127.0.0.1");
    set("MASTER_PORT", std::to_string(port));
    ::unsetenv("TORCHELASTIC_USE_AGENT_STORE"); // rank 0 hosts the store, not an agent
    std::vector<std::string> words{"lorawb"};
    words.insert(words.end(), request.trainArguments.begin(), request.trainArguments.end());
    std::vector<char *> argv;
    for (auto &word : words)
        argv.push_back(word.data());
    argv.push_back(nullptr);
    ::execv("/proc/self/exe", argv.data());
    std::fprintf(stderr, "lorawb launch: rank %d: cannot run /proc/self/exe: %s\n", rank, std::strerror(errno));
    std::_Exit(127);
}

int exitStatusOf(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

} // namespace

int launchRanks(const LaunchRequest &request, std::ostream &out, std::ostream &err)
{
    const int port = request.masterPort > 0 ? request.masterPort : freeLoopbackPort("lorawb launch");
    out << "launching " << request.ranks << " ranks (rendezvous at 127.0.0.1:" << port << "; rank 0 prints)"
        << std::endl;
    const InterruptHandler forward([](int signal) { gForwardedSignal.store(signal); });

    std::vector<pid_t> running;
    for (int rank = 0; rank < request.ranks; ++rank)
        running.push_back(startRank(request, rank, port));
    const auto rankOf = [&](pid_t pid) {
        for (std::size_t i = 0; i < running.size(); ++i)
            if (running[i] == pid)
                return static_cast<int>(i);
        return -1;
    };

    int firstFailure = 0;
    int alive = request.ranks;
    using Clock = std::chrono::steady_clock;
    std::optional<Clock::time_point> terminateAt, killAt;
    while (alive > 0) {
        if (const int signal = gForwardedSignal.exchange(0); signal != 0)
            for (const auto pid : running)
                if (pid > 0)
                    ::kill(pid, signal);
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            const int rank = rankOf(pid);
            if (rank < 0)
                continue;
            running[static_cast<std::size_t>(rank)] = -1;
            --alive;
            const int code = exitStatusOf(status);
            if (code != 0) {
                err << "lorawb launch: rank " << rank << " exited with status " << code << std::endl;
                if (firstFailure == 0) {
                    firstFailure = code;
                    // The others stop on their own at their next collective; these are for a hung one.
                    terminateAt = Clock::now() + request.collectiveTimeout + std::chrono::seconds(30);
                    killAt = *terminateAt + std::chrono::seconds(10);
                }
            }
            continue;
        }
        if (pid < 0 && errno != EINTR)
            break;
        const auto now = Clock::now();
        if (killAt && now >= *killAt) {
            for (const auto running_pid : running)
                if (running_pid > 0)
                    ::kill(running_pid, SIGKILL);
            killAt.reset();
        } else if (terminateAt && now >= *terminateAt) {
            err << "lorawb launch: ranks still running " << request.collectiveTimeout.count() + 30
                << " s after the failure; terminating them" << std::endl;
            for (const auto running_pid : running)
                if (running_pid > 0)
                    ::kill(running_pid, SIGTERM);
            terminateAt.reset();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return firstFailure;
}

} // namespace lwb::cli
