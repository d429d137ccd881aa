// See communicator.h.
#include "engine/dist/communicator.h"

#include "engine/core/error.h"
#include "engine/core/runtime.h"
#include "engine/dist/nccl_group.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef LWB_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <functional>
#include <sstream>
#include <thread>

namespace lwb {

struct Communicator::Group
{
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<c10d::Backend> backend;
    std::string backendName = "none";
    std::string endpoint; // MASTER_ADDR:MASTER_PORT
    torch::Device device{torch::kCPU};
    std::chrono::milliseconds timeout{0};
};

namespace {

using Milliseconds = std::chrono::milliseconds;

// c10d's messages carry C++ frames after the first line; keep the sentence.
std::string firstLine(const std::exception &error)
{
    std::string text = error.what();
    if (const auto end = text.find('\n'); end != std::string::npos)
        text.resize(end);
    return text;
}

std::string rankWhere(int rank)
{
    return "rank " + std::to_string(rank);
}

std::string rankList(const std::vector<int> &ranks)
{
    std::string text;
    for (const auto rank : ranks)
        text += (text.empty() ? "" : ", ") + std::to_string(rank);
    return text;
}

c10::intrusive_ptr<c10d::Store> connectStore(const DistEnvironment &env, Milliseconds timeout,
                                             const std::string &endpoint)
{
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(env.masterPort);
    options.isServer = !env.agentStore && env.rank == 0;
    if (options.isServer)
        options.numWorkers = static_cast<std::size_t>(env.worldSize);
    options.waitWorkers = false; // meet() waits, with messages that name the missing ranks
    options.timeout = timeout;
    c10::intrusive_ptr<c10d::Store> store;
    try {
        store = c10::make_intrusive<c10d::TCPStore>(env.masterAddr, options);
    } catch (const std::exception &error) {
        if (options.isServer)
            throw Error(rankWhere(env.rank), "cannot host the rendezvous store on port "
                                                 + std::to_string(env.masterPort) + " (" + firstLine(error)
                                                 + "): is another job using it? Choose "
                                                   "another MASTER_PORT (lorawb launch --master-port)");
        throw Error(rankWhere(env.rank), "cannot reach the rendezvous store at " + endpoint + " within "
                                             + std::to_string(timeout.count() / 1000) + " s (" + firstLine(error)
                                             + "): is rank 0 running, are MASTER_ADDR and MASTER_PORT right and "
                                               "is the port open?");
    }
    if (env.agentStore) // as torch's env:// rendezvous does under torchrun
        return c10::make_intrusive<c10d::PrefixStore>("/worker/attempt_" + std::to_string(env.restartCount), store);
    return store;
}

// Waits until ranks [first, last) have written `prefix + rank`; on timeout
// names those that have not, and says so when rank 0's store went away.
void waitForRanks(c10d::Store &store, const std::string &prefix, int first, int last, int rank, Milliseconds timeout,
                  const std::string &purpose, const std::function<bool()> &abandon = {})
{
    std::vector<std::string> keys;
    for (int r = first; r < last; ++r)
        keys.push_back(prefix + std::to_string(r));
    try {
        // In slices of a second when the caller may give up meanwhile.
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            const auto left = std::chrono::duration_cast<Milliseconds>(deadline - std::chrono::steady_clock::now());
            const auto slice = abandon ? std::min(left, Milliseconds(1000)) : left;
            try {
                store.wait(keys, std::max(slice, Milliseconds(1)));
                break;
            } catch (const c10::DistNetworkError &) {
                throw; // the store is gone, not slow
            } catch (const std::exception &) {
                if (!abandon || std::chrono::steady_clock::now() >= deadline)
                    throw;
                if (abandon())
                    throw RendezvousAbandoned(rankWhere(rank), "stopped waiting for the ranks to " + purpose);
            }
        }
    } catch (const RendezvousAbandoned &) {
        throw;
    } catch (const std::exception &waitError) {
        std::vector<int> missing;
        try {
            for (int r = first; r < last; ++r)
                if (!store.check({prefix + std::to_string(r)}))
                    missing.push_back(r);
        } catch (const std::exception &) {
            throw Error(rankWhere(rank), "rank 0's rendezvous store closed while waiting for the ranks to " + purpose
                                             + " (" + firstLine(waitError)
                                             + "): rank 0 has stopped; its "
                                               "message says why");
        }
        throw Error(rankWhere(rank), "rank(s) " + rankList(missing) + " did not " + purpose + " within "
                                         + std::to_string(timeout.count() / 1000)
                                         + " s: were all WORLD_SIZE ranks started, with the same WORLD_SIZE?");
    }
}

void waitForAllRanks(c10d::Store &store, const std::string &prefix, int worldSize, int rank, Milliseconds timeout,
                     const std::string &purpose)
{
    waitForRanks(store, prefix, 0, worldSize, rank, timeout, purpose);
}

// Before rank 0 throws (and its store goes away with it), the ranks named
// get up to 5 s to say they have read what they compare: else their reads
// fail with a reset connection instead of reaching their own clear error.
void lingerForReaders(c10d::Store &store, const std::string &prefix, const std::vector<int> &ranks,
                      Milliseconds timeout)
{
    std::vector<std::string> keys;
    for (const auto rank : ranks)
        keys.push_back(prefix + std::to_string(rank));
    try {
        store.wait(keys, std::min(timeout, Milliseconds(5000)));
    } catch (const std::exception &) { // a rank that never reads does not hold rank 0 longer
    }
}

#ifdef LWB_HAVE_GLOO
c10::intrusive_ptr<c10d::Backend> makeGlooGroup(const c10::intrusive_ptr<c10d::Store> &store,
                                                const DistEnvironment &env, Milliseconds timeout)
{
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    // As torch does: GLOO_SOCKET_IFNAME picks the interface; a loopback
    // master means one machine, where 127.0.0.1 needs no name resolution.
    if (const char *interface = std::getenv("GLOO_SOCKET_IFNAME"); interface && *interface)
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(interface));
    else if (env.masterAddr == "127.0.0.1" || env.masterAddr == "localhost")
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    else
        options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    return c10::make_intrusive<c10d::ProcessGroupGloo>(c10::make_intrusive<c10d::PrefixStore>("lwb/gloo", store),
                                                       env.rank, env.worldSize, options);
}
#endif

} // namespace

Communicator::Communicator() = default;
Communicator::~Communicator() = default;

Communicator::Communicator(const DistEnvironment &env, const torch::Device &device, std::chrono::seconds timeout,
                           std::function<bool()> abandon)
    : group_(std::make_unique<Group>())
    , rank_(env.rank)
    , worldSize_(env.worldSize)
    , localWorldSize_(env.localWorldSize)
{
    if (!env.distributed())
        return;
    auto &group = *group_;
    group.endpoint = env.masterAddr + ":" + std::to_string(env.masterPort);
    group.timeout = std::chrono::duration_cast<Milliseconds>(timeout);
    group.device = device;
    group.store = connectStore(env, group.timeout, group.endpoint);

    // Meet: all ranks present, all with one WORLD_SIZE (rank 0's checked
    // first, so a rank with a larger one does not wait for ranks that never come).
    group.store->set("lwb/world_size/" + std::to_string(rank_), std::to_string(worldSize_));
    waitForRanks(*group.store, "lwb/world_size/", 0, 1, rank_, group.timeout, "join the rendezvous", abandon);
    const auto rootWorldSize = group.store->get_to_str("lwb/world_size/0");
    group.store->set("lwb/world_size_read/" + std::to_string(rank_), "1");
    if (rootWorldSize != std::to_string(worldSize_))
        throw Error(rankWhere(rank_), "WORLD_SIZE is " + std::to_string(worldSize_) + " here but " + rootWorldSize
                                          + " on rank 0: start every rank with one WORLD_SIZE");
    waitForRanks(*group.store, "lwb/world_size/", 0, worldSize_, rank_, group.timeout, "join the rendezvous", abandon);
    std::vector<int> different;
    std::string theirs;
    for (int r = 0; r < worldSize_; ++r) {
        const auto value = group.store->get_to_str("lwb/world_size/" + std::to_string(r));
        if (value != std::to_string(worldSize_)) {
            different.push_back(r);
            theirs = value;
        }
    }
    if (!different.empty()) {
        lingerForReaders(*group.store, "lwb/world_size_read/", different, group.timeout);
        throw Error(rankWhere(rank_), "WORLD_SIZE is " + std::to_string(worldSize_) + " here but " + theirs
                                          + " on rank(s) " + rankList(different)
                                          + ": start every rank with one WORLD_SIZE");
    }

    try {
        if (device.is_cuda()) {
            group.backend = makeNcclGroup(group.store, rank_, worldSize_, group.timeout);
            group.backendName = "nccl";
        } else {
#ifdef LWB_HAVE_GLOO
            group.backend = makeGlooGroup(group.store, env, group.timeout);
            group.backendName = "gloo";
#else
            throw Error("device", "this build has no Gloo (gloo headers, Debian's libgloo-dev, were not found when it "
                                  "was configured): CPU ranks cannot communicate");
#endif
        }
    } catch (const Error &) {
        throw;
    } catch (const std::exception &error) {
        throw Error(rankWhere(rank_), "cannot create the process group (" + firstLine(error) + ")");
    }
}

torch::Device rankDevice(const std::string &configured, const DistEnvironment &env)
{
    auto device = parseDevice(configured);
    if (device.is_cuda() && !device.has_index())
        device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(env.localRank));
    return device;
}

torch::Device Communicator::device() const
{
    return group_ ? group_->device : torch::Device(torch::kCPU);
}

std::string Communicator::backendName() const
{
    return group_ ? group_->backendName : "none";
}

void Communicator::sumInPlace(torch::Tensor &tensor, const std::string &what)
{
    if (!distributed())
        return;
    // The backend's device (a CPU figure of a CUDA run travels through the GPU).
    const bool elsewhere = tensor.device() != group_->device;
    std::vector<at::Tensor> tensors{elsewhere ? tensor.to(group_->device) : tensor};
    try {
        group_->backend->allreduce(tensors)->wait();
    } catch (const std::exception &error) {
        collectiveFailed(what, error);
    }
    if (elsewhere)
        tensor.copy_(tensors.front());
    bytesReduced_ += tensor.numel() * static_cast<std::int64_t>(tensor.element_size());
}

struct PendingSum::Work
{
    c10::intrusive_ptr<c10d::Work> work; // null when the backend refused to start it
    std::exception_ptr notStarted;
    std::vector<at::Tensor> tensors; // kept alive until the sum is done
    std::string what;
};

PendingSum::PendingSum() = default;
PendingSum::~PendingSum() = default;
PendingSum::PendingSum(PendingSum &&) noexcept = default;
PendingSum &PendingSum::operator=(PendingSum &&) noexcept = default;

PendingSum Communicator::startSum(const torch::Tensor &tensor, const std::string &what)
{
    PendingSum sum;
    if (!distributed())
        return sum;
    if (tensor.device() != group_->device || !tensor.is_contiguous())
        throw Error(rankWhere(rank_), what + ": an asynchronous sum needs a contiguous tensor on "
                                          + group_->device.str() + ", got one on " + tensor.device().str());
    sum.work_ = std::make_unique<PendingSum::Work>();
    sum.work_->tensors = {tensor};
    sum.work_->what = what;
    // A backend that cannot even enqueue the sum fails at finishSum, on the
    // training thread, where the failure report can be written.
    try {
        sum.work_->work = group_->backend->allreduce(sum.work_->tensors);
    } catch (const std::exception &) {
        sum.work_->notStarted = std::current_exception();
    }
    bytesReduced_ += tensor.numel() * static_cast<std::int64_t>(tensor.element_size());
    return sum;
}

void Communicator::finishSum(PendingSum &sum)
{
    if (!sum.active())
        return;
    const auto work = std::move(sum.work_);
    try {
        if (work->notStarted)
            std::rethrow_exception(work->notStarted);
        work->work->wait();
    } catch (const std::exception &error) {
        collectiveFailed(work->what, error);
    }
}

void Communicator::broadcastFromRoot(std::vector<torch::Tensor> &tensors, const std::string &what)
{
    if (!distributed() || tensors.empty())
        return;
    // One buffer per call: a vector of several tensors means several devices to c10d.
    std::vector<torch::Tensor> flat;
    for (const auto &tensor : tensors)
        flat.push_back(tensor.detach().reshape({-1}).to(tensors.front().scalar_type()));
    std::vector<at::Tensor> buffer{torch::cat(flat)};
    try {
        group_->backend->broadcast(buffer)->wait();
    } catch (const std::exception &error) {
        collectiveFailed(what, error);
    }
    bytesReduced_ += buffer.front().numel() * static_cast<std::int64_t>(buffer.front().element_size());
    torch::NoGradGuard noGrad;
    std::int64_t offset = 0;
    for (auto &tensor : tensors) {
        const auto count = tensor.numel();
        tensor.copy_(buffer.front().narrow(0, offset, count).view(tensor.sizes()));
        offset += count;
    }
}

bool Communicator::anyRank(bool flag, const std::string &what)
{
    if (!distributed())
        return flag;
    auto count = torch::full({1}, flag ? 1 : 0, torch::TensorOptions().dtype(torch::kInt32).device(group_->device));
    sumInPlace(count, what);
    return count.item<int>() > 0;
}

void Communicator::requireSameOnAllRanks(const std::string &key, const std::string &text, const std::string &what)
{
    if (!distributed())
        return;
    auto &store = *group_->store;
    const auto prefix = "lwb/same/" + key + "/";
    store.set(prefix + std::to_string(rank_), text);
    waitForAllRanks(store, prefix, worldSize_, rank_, group_->timeout, "publish " + what);
    const auto root = store.get_to_str(prefix + "0");
    std::vector<int> different, others;
    for (int r = 1; r < worldSize_; ++r) {
        others.push_back(r);
        if (store.get_to_str(prefix + std::to_string(r)) != root)
            different.push_back(r);
    }
    store.set(prefix + "read/" + std::to_string(rank_), "1");
    if (!different.empty() && isRoot())
        lingerForReaders(store, prefix + "read/", others, group_->timeout);
    if (!different.empty())
        throw Error(rankWhere(rank_), what + " differs from rank 0's on rank(s) " + rankList(different)
                                          + ": every rank must run the same job");
}

std::string Communicator::fromRoot(const std::string &key, const std::string &text)
{
    if (!distributed())
        return text;
    auto &store = *group_->store;
    const auto name = "lwb/root/" + key;
    if (isRoot())
        store.set(name, text);
    try {
        store.wait({name}, group_->timeout);
    } catch (const std::exception &error) {
        collectiveFailed("waiting for rank 0's " + key, error);
    }
    return store.get_to_str(name);
}

void Communicator::reportProgress(std::int64_t step)
{
    if (distributed())
        group_->store->set("lwb/progress/" + std::to_string(rank_), std::to_string(step));
}

void Communicator::reportFailure(const std::string &message) noexcept
{
    if (!distributed())
        return;
    try {
        group_->store->set("lwb/failure/" + std::to_string(rank_), message);
    } catch (...) { // the store may be the thing that failed
    }
}

// Which ranks caused a failed collective: each rank that sees the failure
// says so in the store and waits a few seconds for the others to say so too;
// the silent ones are gone (killed, crashed) or hung, and those that wrote an
// error are named with it.
std::string Communicator::peersReport()
{
    auto &store = *group_->store;
    try {
        const Milliseconds grace = std::min<Milliseconds>(group_->timeout, Milliseconds(5000));
        store.setTimeout(grace);
        store.set("lwb/saw_failure/" + std::to_string(rank_), "1");
        const auto deadline = std::chrono::steady_clock::now() + grace;
        std::vector<int> silent;
        for (;;) {
            silent.clear();
            for (int r = 0; r < worldSize_; ++r)
                if (r != rank_ && !store.check({"lwb/saw_failure/" + std::to_string(r)})
                    && !store.check({"lwb/failure/" + std::to_string(r)}))
                    silent.push_back(r);
            if (silent.empty() || std::chrono::steady_clock::now() >= deadline)
                break;
            std::this_thread::sleep_for(Milliseconds(100));
        }
        std::ostringstream report;
        for (int r = 0; r < worldSize_; ++r) {
            const auto key = "lwb/failure/" + std::to_string(r);
            if (r != rank_ && store.check({key}))
                report << " rank " << r << " failed: " << store.get_to_str(key) << ".";
        }
        if (!silent.empty()) {
            report << " rank(s) " << rankList(silent) << " stopped answering (killed, crashed or hung)";
            const auto progress = "lwb/progress/" + std::to_string(silent.front());
            if (store.check({progress}))
                report << " after step " << store.get_to_str(progress);
            report << ".";
        }
        return report.str();
    } catch (const std::exception &) {
        return " rank 0, which hosts the rendezvous store at " + group_->endpoint + ", is gone (killed or crashed).";
    }
}

void Communicator::collectiveFailed(const std::string &what, const std::exception &error)
{
    throw Error(rankWhere(rank_), what + " across " + std::to_string(worldSize_) + " ranks failed (" + firstLine(error)
                                      + ")." + peersReport());
}

} // namespace lwb
