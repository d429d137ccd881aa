// See gradient_sync.h.
#include "engine/dist/gradient_sync.h"

#include "engine/core/error.h"

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <unordered_set>

namespace lwb {

// Autograd calls it right after it added a parameter's gradient of this
// backward: from then on the gradient is final for the step (each leaf has
// one accumulator per graph, run once).
struct GradientReadyHook : torch::autograd::PostAccumulateGradHook
{
    GradientReadyHook(GradientSync &sync, std::size_t parameter)
        : sync(sync)
        , parameter(parameter)
    {
    }

    void operator()(const torch::autograd::Variable & /*parameter*/) override
    {
        std::lock_guard lock(sync.mutex_);
        if (!sync.armed_ || sync.hookError_)
            return; // an earlier micro-batch, or a failure finish() reports
        try {
            sync.markReady(parameter);
        } catch (...) { // an exception must not cross autograd's threads
            sync.hookError_ = std::current_exception();
        }
    }

    GradientSync &sync;
    std::size_t parameter;
};

namespace {

// Every node the backward of `loss` can run (its AccumulateGrad nodes among them).
std::unordered_set<const torch::autograd::Node *> nodesOfGraph(const torch::Tensor &loss)
{
    std::unordered_set<const torch::autograd::Node *> reached;
    std::vector<torch::autograd::Node *> pending;
    if (const auto root = loss.grad_fn()) {
        reached.insert(root.get());
        pending.push_back(root.get());
    }
    while (!pending.empty()) {
        auto *node = pending.back();
        pending.pop_back();
        for (const auto &edge : node->next_edges()) {
            auto *next = edge.function.get();
            if (next && reached.insert(next).second)
                pending.push_back(next);
        }
    }
    return reached;
}

} // namespace

GradientSync::GradientSync(std::vector<torch::Tensor> parameters, Communicator &communicator, bool overlap,
                           std::int64_t bucketBytes)
    : parameters_(std::move(parameters))
    , communicator_(communicator)
    , overlap_(overlap && communicator.distributed())
    , bucketOf_(parameters_.size())
    , ready_(parameters_.size(), false)
{
    // Reverse order: the last parameters' gradients are produced first.
    std::int64_t filled = 0;
    for (auto i = parameters_.size(); i-- > 0;) {
        const auto &parameter = parameters_[i];
        const auto bytes = parameter.numel() * static_cast<std::int64_t>(parameter.element_size());
        const bool sameDtype
            = buckets_.empty()
              || parameters_[buckets_.back().parameters.front()].scalar_type() == parameter.scalar_type();
        if (buckets_.empty() || (filled > 0 && filled + bytes > bucketBytes) || !sameDtype) {
            buckets_.emplace_back();
            filled = 0;
        }
        buckets_.back().parameters.push_back(i);
        bucketOf_[i] = buckets_.size() - 1;
        filled += bytes;
    }
    if (!overlap_)
        return;
    for (std::size_t i = 0; i < parameters_.size(); ++i) {
        if (torch::autograd::impl::post_acc_grad_hooks(parameters_[i]))
            throw Error("gradient sync", "trainable parameter " + std::to_string(i)
                                             + " already has a post-accumulate-grad hook; overlapping the gradient "
                                               "all-reduce needs it (set training.overlap_grad_sync to false)");
        torch::autograd::impl::set_post_acc_grad_hooks(parameters_[i], std::make_unique<GradientReadyHook>(*this, i));
    }
}

GradientSync::~GradientSync()
{
    if (overlap_)
        for (const auto &parameter : parameters_)
            torch::autograd::impl::set_post_acc_grad_hooks(parameter, nullptr);
}

void GradientSync::resetStep()
{
    std::fill(ready_.begin(), ready_.end(), false);
    for (auto &bucket : buckets_) {
        bucket.notReady = bucket.parameters.size();
        bucket.buffer = torch::Tensor();
        bucket.sum = {};
    }
    nextBucket_ = 0;
    startedInBackward_ = 0;
    hookError_ = nullptr;
}

void GradientSync::beforeLastBackward(const torch::Tensor &loss)
{
    if (!overlap_ || parameters_.empty())
        return;
    const auto reached = nodesOfGraph(loss);
    std::lock_guard lock(mutex_);
    resetStep();
    armed_ = true;
    // Unreached here: its gradient (from an earlier micro-batch, or none) is final now.
    for (std::size_t i = 0; i < parameters_.size(); ++i) {
        const auto accumulator = torch::autograd::impl::try_get_grad_accumulator(parameters_[i]);
        if (!accumulator || reached.count(accumulator.get()) == 0)
            markReady(i);
    }
}

void GradientSync::markReady(std::size_t parameter)
{
    if (ready_[parameter])
        return;
    ready_[parameter] = true;
    --buckets_[bucketOf_[parameter]].notReady;
    startReadyBuckets();
}

void GradientSync::startReadyBuckets()
{
    while (nextBucket_ < buckets_.size() && buckets_[nextBucket_].notReady == 0) {
        startBucket(buckets_[nextBucket_]);
        ++nextBucket_;
        if (armed_)
            ++startedInBackward_;
    }
}

void GradientSync::startBucket(Bucket &bucket)
{
    torch::NoGradGuard noGrad;
    const auto &first = parameters_[bucket.parameters.front()];
    const auto count = static_cast<std::int64_t>(bucket.parameters.size());
    std::int64_t elements = 0;
    for (const auto index : bucket.parameters)
        elements += parameters_[index].numel();
    auto buffer
        = torch::empty({elements + count}, torch::TensorOptions().dtype(first.scalar_type()).device(first.device()));
    auto present = torch::empty({count}, torch::kFloat32);
    auto *hasGrad = present.data_ptr<float>();
    std::int64_t offset = 0;
    for (std::int64_t k = 0; k < count; ++k) {
        const auto &parameter = parameters_[bucket.parameters[static_cast<std::size_t>(k)]];
        auto slice = buffer.narrow(0, offset, parameter.numel());
        const auto &grad = parameter.grad();
        if (grad.defined())
            slice.copy_(grad.reshape({-1}));
        else
            slice.zero_();
        hasGrad[k] = grad.defined() ? 1.0F : 0.0F;
        offset += parameter.numel();
    }
    buffer.narrow(0, elements, count).copy_(present);
    bucket.sum = communicator_.startSum(buffer, "the gradient all-reduce");
    bucket.buffer = std::move(buffer);
}

void GradientSync::writeBack(const Bucket &bucket)
{
    torch::NoGradGuard noGrad;
    const auto count = static_cast<std::int64_t>(bucket.parameters.size());
    const auto elements = bucket.buffer.numel() - count;
    const auto present = bucket.buffer.narrow(0, elements, count).to(torch::kCPU, torch::kFloat32);
    const auto *ranksWithGrad = present.data_ptr<float>();
    std::int64_t offset = 0;
    for (std::int64_t k = 0; k < count; ++k) {
        auto &parameter = parameters_[bucket.parameters[static_cast<std::size_t>(k)]];
        const auto size = parameter.numel();
        if (ranksWithGrad[k] > 0.0F) { // else no rank has one, nor this one: it stays without
            auto &grad = parameter.mutable_grad();
            if (!grad.defined())
                grad = torch::zeros_like(parameter);
            grad.copy_(bucket.buffer.narrow(0, offset, size).view(grad.sizes()));
        }
        offset += size;
    }
}

void GradientSync::finish()
{
    if (!communicator_.distributed() || parameters_.empty())
        return;
    {
        std::lock_guard lock(mutex_);
        if (!armed_)
            resetStep(); // nothing started during the backward
        armed_ = false;
        if (hookError_)
            std::rethrow_exception(hookError_);
        for (std::size_t i = 0; i < parameters_.size(); ++i)
            markReady(i); // no-op for those already ready; starts the rest in order
    }
    for (auto &bucket : buckets_) {
        communicator_.finishSum(bucket.sum);
        writeBack(bucket);
    }
    for (auto &bucket : buckets_)
        bucket.buffer = torch::Tensor();
}

} // namespace lwb
