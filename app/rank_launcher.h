// `lorawb launch`: N ranks of one job on this machine, as torchrun
// --nproc-per-node N would start them: each a `lorawb train ...` process
// (this executable) with WORLD_SIZE, RANK, LOCAL_RANK, LOCAL_WORLD_SIZE,
// MASTER_ADDR=127.0.0.1 and MASTER_PORT set, each in its own process group.
// Ctrl-C and SIGTERM are passed to every rank once (they stop together at the
// next step boundary); a rank whose launcher dies gets SIGTERM. When a rank
// exits with an error the others notice at their next collective and stop
// with a message naming it; any still running after the job's collective
// timeout plus a grace period are terminated. The exit status is the first
// failing rank's (0 when all finished).
#pragma once

#include <chrono>
#include <iosfwd>
#include <string>
#include <vector>

namespace lwb::cli {

struct LaunchRequest
{
    int ranks = 2;
    int masterPort = 0;                      // 0 = a free port chosen now
    std::vector<std::string> trainArguments; // after "lorawb": "train", CONFIG.json, options
    std::chrono::seconds collectiveTimeout{300};
};

int launchRanks(const LaunchRequest &request, std::ostream &out, std::ostream &err);

} // namespace lwb::cli
