// See dist_environment.h.
#include "engine/dist/dist_environment.h"

#include "engine/core/error.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace lwb {

namespace {

// An integer in [low, high] from variable `name`; `fallback` when unset.
int readInt(const std::function<const char *(const char *)> &lookup, const char *name, int fallback, long low,
            long high, const std::string &range)
{
    const char *text = lookup(name);
    if (!text || !*text)
        return fallback;
    errno = 0;
    char *end = nullptr;
    const long value = std::strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < low || value > high)
        throw Error("environment variable " + std::string(name),
                    "\"" + std::string(text) + "\" is not an integer in " + range);
    return static_cast<int>(value);
}

} // namespace

DistEnvironment readDistEnvironment(const std::function<const char *(const char *)> &lookup)
{
    constexpr long kMaxRanks = 1 << 20;
    DistEnvironment env;
    env.worldSize = readInt(lookup, "WORLD_SIZE", 1, 1, kMaxRanks, "[1, 2^20]");
    if (!env.distributed())
        return env;
    const auto ranks = "[0, WORLD_SIZE) = [0, " + std::to_string(env.worldSize) + ")";
    if (!lookup("RANK"))
        throw Error("environment variable RANK", "is not set although WORLD_SIZE is " + std::to_string(env.worldSize)
                                                     + " (launch with torchrun or lorawb launch)");
    env.rank = readInt(lookup, "RANK", 0, 0, env.worldSize - 1, ranks);
    env.localWorldSize = readInt(lookup, "LOCAL_WORLD_SIZE", 1, 1, env.worldSize, "[1, WORLD_SIZE]");
    env.localRank = readInt(lookup, "LOCAL_RANK", 0, 0, env.worldSize - 1, ranks);
    if (lookup("LOCAL_WORLD_SIZE") && env.localRank >= env.localWorldSize)
        throw Error("environment variable LOCAL_RANK", std::to_string(env.localRank)
                                                           + " is not below LOCAL_WORLD_SIZE ("
                                                           + std::to_string(env.localWorldSize) + ")");
    const char *addr = lookup("MASTER_ADDR");
    if (!addr || !*addr)
        throw Error("environment variable MASTER_ADDR",
                    "is not set: the address of rank 0's machine is needed to meet");
    env.masterAddr = addr;
    if (!lookup("MASTER_PORT"))
        throw Error("environment variable MASTER_PORT", "is not set: the rendezvous port on MASTER_ADDR is needed");
    env.masterPort = readInt(lookup, "MASTER_PORT", 0, 1, 65535, "[1, 65535]");
    const char *agent = lookup("TORCHELASTIC_USE_AGENT_STORE");
    env.agentStore = agent && std::string(agent) == "True";
    env.restartCount
        = readInt(lookup, "TORCHELASTIC_RESTART_COUNT", 0, 0, std::numeric_limits<int>::max(), "[0, 2^31)");
    return env;
}

int freeLoopbackPort(const std::string &who)
{
    const int socketFd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (socketFd < 0)
        throw Error(who, std::string("cannot open a socket: ") + std::strerror(errno));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0; // the kernel picks a free one
    socklen_t length = sizeof address;
    const bool ok = ::bind(socketFd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0
                    && ::getsockname(socketFd, reinterpret_cast<sockaddr *>(&address), &length) == 0;
    const int failure = errno;
    ::close(socketFd);
    if (!ok)
        throw Error(who, std::string("cannot find a free port: ") + std::strerror(failure));
    return ntohs(address.sin_port);
}

DistEnvironment readDistEnvironment()
{
    return readDistEnvironment([](const char *name) { return std::getenv(name); });
}

} // namespace lwb
