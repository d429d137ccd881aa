// GradientSync: the data-parallel step's reduction. After the last backward
// of a step, every trainable gradient is summed over the ranks (the loss is
// already divided by the global token count, so the sum is exactly the
// gradient of the one large batch). Gradients travel in buckets of about
// bucketBytes, each flattened into one buffer, as DDP's reducer does; a
// parameter no rank produced a gradient for stays without one (AdamW then
// skips it, as in a single-process run).
//
// The buckets are reduced one after another once the backward is done: on
// the CPU (Gloo on 2 cores) overlapping them with the backward would compete
// for the same cores; on GPUs it is future work (engine/dist/README.md).
#pragma once

#include "engine/dist/communicator.h"

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace lwb {

class GradientSync
{
public:
    GradientSync(std::vector<torch::Tensor> parameters, std::int64_t bucketBytes = std::int64_t{25} << 20);

    void sum(Communicator &communicator);

    std::int64_t bucketCount() const { return static_cast<std::int64_t>(buckets_.size()); }

private:
    std::vector<torch::Tensor> parameters_;
    std::vector<std::vector<std::size_t>> buckets_; // parameter indices, in order
};

} // namespace lwb
