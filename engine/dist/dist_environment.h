// DistEnvironment: which rank of which job this process is, read from the
// environment variables torchrun (and `lorawb launch`, and a Slurm recipe)
// set for each worker, as PyTorch's env:// rendezvous reads them:
//   WORLD_SIZE, RANK              the job's process count and this one's index
//   LOCAL_RANK, LOCAL_WORLD_SIZE  the same on this machine (GPU = LOCAL_RANK)
//   MASTER_ADDR, MASTER_PORT      where the rendezvous TCPStore listens
//   TORCHELASTIC_USE_AGENT_STORE  "True": torchrun's agent already hosts the
//                                 store there; every rank connects as a client
//                                 under the prefix /worker/attempt_<restart>
//   TORCHELASTIC_RESTART_COUNT    that <restart>
// No WORLD_SIZE (or 1) is a single-process run. A malformed or inconsistent
// value is an lwb::Error naming the variable.
#pragma once

#include <functional>
#include <string>

namespace lwb {

struct DistEnvironment
{
    int rank = 0;
    int worldSize = 1;
    int localRank = 0;
    int localWorldSize = 1;
    std::string masterAddr;
    int masterPort = 0;
    bool agentStore = false;
    int restartCount = 0;

    bool distributed() const { return worldSize > 1; }
};

// Reads the process environment.
DistEnvironment readDistEnvironment();
// The same from any lookup (tests): lookup(name) is null when unset.
DistEnvironment readDistEnvironment(const std::function<const char *(const char *)> &lookup);

// A TCP port on 127.0.0.1 that is free now, for a rendezvous on this machine
// (the ranks bind it a moment later: a race with another program is
// possible, and rank 0 then says the port is in use). `who` names the caller
// in errors ("lorawb launch", "data-parallel job").
int freeLoopbackPort(const std::string &who);

} // namespace lwb
