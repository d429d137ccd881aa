// Communicator: the collectives a data-parallel run needs, on PyTorch's own
// c10d: a TCPStore for the rendezvous and the bookkeeping below, and a
// process group — Gloo for CPU tensors, NCCL for CUDA ones (a build with
// NCCL, engine/dist/nccl_group.h).
//
// A default-constructed Communicator is the single-process run: every
// collective is the identity, so the trainer has one code path.
//
// Meeting (the constructor): rank 0 hosts the store at MASTER_ADDR:MASTER_PORT
// (or torchrun's agent does, DistEnvironment::agentStore); every rank then
// publishes its WORLD_SIZE and waits for all of them, so a rank launched with
// another world size, a port in use or an unreachable master is an lwb::Error
// saying so instead of a hang.
//
// The device: a CUDA rank computes on cuda:LOCAL_RANK unless the config
// names an index (rankDevice).
//
// Failure: every rank writes its step into the store (reportProgress) and,
// before it exits on an error, the error (reportFailure). A collective that
// fails or times out (the timeout given here, training.collective_timeout_s)
// throws an lwb::Error that names the ranks that failed, fell behind or are
// gone, read from those keys.
#pragma once

#include "engine/dist/dist_environment.h"

#include <torch/types.h>

#include "engine/core/error.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace lwb {

// The meeting gave up because the caller's `abandon` said so (a GUI cancel,
// a rank process that died before it joined).
class RendezvousAbandoned : public Error
{
public:
    using Error::Error;
};

// The device rank `env` computes on for the configured one ("cuda" ->
// cuda:LOCAL_RANK when several ranks share a machine).
torch::Device rankDevice(const std::string &configured, const DistEnvironment &env);

// A sum started by Communicator::startSum and not yet finished; finishSum
// waits for it. Move-only; an empty one (a single process) finishes at once.
class PendingSum
{
public:
    PendingSum();
    ~PendingSum();
    PendingSum(PendingSum &&) noexcept;
    PendingSum &operator=(PendingSum &&) noexcept;

    bool active() const { return work_ != nullptr; }

private:
    friend class Communicator;
    struct Work;
    std::unique_ptr<Work> work_;
};

class Communicator
{
public:
    Communicator(); // one process
    // `abandon`, when given, is asked about once a second while this rank
    // waits for the others to meet; true ends the wait (RendezvousAbandoned).
    Communicator(const DistEnvironment &env, const torch::Device &device, std::chrono::seconds timeout,
                 std::function<bool()> abandon = {});
    ~Communicator();

    Communicator(const Communicator &) = delete;
    Communicator &operator=(const Communicator &) = delete;

    int rank() const { return rank_; }
    int worldSize() const { return worldSize_; }
    int localWorldSize() const { return localWorldSize_; } // ranks on this machine
    torch::Device device() const;                          // where this rank computes (the CPU when alone)
    bool isRoot() const { return rank_ == 0; }
    bool distributed() const { return worldSize_ > 1; }
    std::string backendName() const; // "gloo", "nccl" or "none"

    // Element-wise sum over the ranks, in place; `tensor` contiguous, on the
    // run's device. `what` names the collective in errors.
    void sumInPlace(torch::Tensor &tensor, const std::string &what);
    // The same sum, started on the group's own threads (Gloo) or stream
    // (NCCL) and returned at once, so it runs while this thread goes on
    // (GradientSync launches buckets from autograd hooks with it). `tensor`
    // (contiguous, on the run's device) must not be touched until
    // finishSum(), which waits for it and, like sumInPlace, throws an error
    // naming the ranks when it failed. startSum may run on an autograd
    // thread; finishSum and every other call belong to the training thread.
    PendingSum startSum(const torch::Tensor &tensor, const std::string &what);
    void finishSum(PendingSum &sum);
    // Rank 0's values into every rank's tensors, in place.
    void broadcastFromRoot(std::vector<torch::Tensor> &tensors, const std::string &what);
    // True on every rank when it is true on any (a stop agreed at a step boundary).
    bool anyRank(bool flag, const std::string &what);
    // Every rank publishes `text` under `key` and compares it with all ranks';
    // throws on every rank, naming the ranks whose text differs from rank 0's
    // (`what` says what the text is: "the run config", ...).
    void requireSameOnAllRanks(const std::string &key, const std::string &text, const std::string &what);
    // Rank 0's `text` for `key`, on every rank.
    std::string fromRoot(const std::string &key, const std::string &text);

    // The step this rank has finished (read when a collective fails).
    void reportProgress(std::int64_t step);
    // This rank's error, for the others' messages; never throws.
    void reportFailure(const std::string &message) noexcept;

    // Bytes this rank has sent into sums and broadcasts so far (benchmarks,
    // tests): a sum counts when it starts, so a test can see that a backward
    // started one.
    std::int64_t bytesReduced() const { return bytesReduced_.load(); }

private:
    struct Group;
    [[noreturn]] void collectiveFailed(const std::string &what, const std::exception &error);
    std::string peersReport();

    std::unique_ptr<Group> group_;
    int rank_ = 0;
    int worldSize_ = 1;
    int localWorldSize_ = 1;
    std::atomic<std::int64_t> bytesReduced_{0}; // startSum may run on an autograd thread
};

} // namespace lwb
