// GradientSync: the data-parallel step's reduction. Every trainable gradient
// of a step is summed over the ranks (the loss is already divided by the
// global token count, so the sum is exactly the gradient of the one large
// batch). Gradients travel in buckets of about bucketBytes, each flattened
// into one buffer, as DDP's reducer does.
//
// Buckets are filled in reverse parameter order, the order the backward
// produces gradients in, and are always started in bucket order on every
// rank: c10d matches collectives by their order, so a bucket whose gradients
// are ready waits for the buckets before it.
//
// With overlap, a bucket's sum starts during the backward of the step's last
// micro-batch, as soon as its gradients are final: a post-accumulate-grad
// hook on each parameter (run by autograd right after it added the
// parameter's gradient) marks it ready; parameters the loss's graph does not
// reach (unused on this rank in that micro-batch) are ready before the
// backward starts, as DDP's find_unused_parameters finds them. finish()
// starts what is left and waits for all. Without overlap every bucket starts
// in finish(). Both give bitwise the same sums: each element is the same
// sum over the ranks whatever the bucket layout or launch time.
//
// Presence: a parameter no rank produced a gradient for stays without one
// (AdamW then skips it, as in a single-process run). Each bucket carries one
// extra element per parameter, 1 where this rank has its gradient; after the
// sum, a parameter whose count is 0 keeps no gradient and one missing only
// here gets the others' sum. Earlier micro-batches of a step never
// communicate: the hooks only act between beforeLastBackward and finish.
//
// The hook slot of a parameter is LibTorch's single post-accumulate-grad
// hook (torch::autograd::impl::set_post_acc_grad_hooks); an overlapping
// GradientSync owns it until it is destroyed.
#pragma once

#include "engine/dist/communicator.h"

#include <torch/types.h>

#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <vector>

namespace lwb {

class GradientSync
{
public:
    static constexpr std::int64_t kDefaultBucketBytes = std::int64_t{25} << 20;

    GradientSync(std::vector<torch::Tensor> parameters, Communicator &communicator, bool overlap,
                 std::int64_t bucketBytes = kDefaultBucketBytes);
    ~GradientSync();

    GradientSync(const GradientSync &) = delete;
    GradientSync &operator=(const GradientSync &) = delete;

    // Before the backward of the step's last micro-batch, `loss` the tensor
    // it differentiates. Without overlap (or alone) it does nothing.
    void beforeLastBackward(const torch::Tensor &loss);
    // After that backward (every micro-batch's, without overlap): starts the
    // buckets not yet started, waits for all and writes the sums into .grad.
    void finish();

    std::int64_t bucketCount() const { return static_cast<std::int64_t>(buckets_.size()); }
    bool overlaps() const { return overlap_; }
    // Buckets of the last step whose sum started before finish(), i.e. while
    // the backward still ran (0 without overlap).
    std::int64_t bucketsStartedInBackward() const { return startedInBackward_; }

private:
    struct Bucket
    {
        std::vector<std::size_t> parameters; // indices into parameters_
        std::size_t notReady = 0;
        torch::Tensor buffer; // the gradients, then one presence count per parameter
        PendingSum sum;
    };
    friend struct GradientReadyHook;

    void resetStep();                      // mutex_ held
    void markReady(std::size_t parameter); // mutex_ held
    void startReadyBuckets();              // mutex_ held
    void startBucket(Bucket &bucket);
    void writeBack(const Bucket &bucket);

    std::vector<torch::Tensor> parameters_;
    Communicator &communicator_;
    bool overlap_;
    std::vector<Bucket> buckets_;
    std::vector<std::size_t> bucketOf_; // parameter -> bucket
    std::vector<bool> ready_;           // this step
    std::size_t nextBucket_ = 0;        // the first bucket not started
    bool armed_ = false;                // between beforeLastBackward and finish
    std::int64_t startedInBackward_ = 0;
    std::exception_ptr hookError_; // a failure inside a hook, rethrown by finish()
    std::mutex mutex_;             // hooks may run on autograd's device threads
};

} // namespace lwb
