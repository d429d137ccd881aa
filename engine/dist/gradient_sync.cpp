// See gradient_sync.h.
#include "engine/dist/gradient_sync.h"

namespace lwb {

GradientSync::GradientSync(std::vector<torch::Tensor> parameters, std::int64_t bucketBytes)
    : parameters_(std::move(parameters))
{
    std::int64_t filled = 0;
    for (std::size_t i = 0; i < parameters_.size(); ++i) {
        const auto bytes = parameters_[i].numel() * static_cast<std::int64_t>(parameters_[i].element_size());
        const bool sameDtype = buckets_.empty() || buckets_.back().empty()
                               || parameters_[buckets_.back().front()].scalar_type() == parameters_[i].scalar_type();
        if (buckets_.empty() || filled + bytes > bucketBytes || !sameDtype) {
            if (buckets_.empty() || !buckets_.back().empty())
                buckets_.emplace_back();
            filled = 0;
        }
        buckets_.back().push_back(i);
        filled += bytes;
    }
}

void GradientSync::sum(Communicator &communicator)
{
    if (!communicator.distributed() || parameters_.empty())
        return;
    torch::NoGradGuard noGrad;
    const auto device = parameters_.front().device();
    // Which parameters have a gradient on some rank.
    auto present = torch::empty({static_cast<std::int64_t>(parameters_.size())}, torch::kInt32);
    for (std::size_t i = 0; i < parameters_.size(); ++i)
        present[static_cast<std::int64_t>(i)] = parameters_[i].grad().defined() ? 1 : 0;
    present = present.to(device);
    communicator.sumInPlace(present, "gradient presence");
    const auto presentOnHost = present.to(torch::kCPU);
    const auto *anyRank = presentOnHost.data_ptr<int>();

    for (const auto &bucket : buckets_) {
        std::vector<torch::Tensor> flat;
        for (const auto index : bucket) {
            auto &parameter = parameters_[index];
            if (anyRank[index] == 0)
                continue;
            if (!parameter.grad().defined())
                parameter.mutable_grad() = torch::zeros_like(parameter);
            flat.push_back(parameter.grad().reshape({-1}));
        }
        if (flat.empty())
            continue;
        auto buffer = torch::cat(flat);
        communicator.sumInPlace(buffer, "the gradient all-reduce");
        std::int64_t offset = 0;
        for (const auto index : bucket) {
            if (anyRank[index] == 0)
                continue;
            auto grad = parameters_[index].grad();
            grad.copy_(buffer.narrow(0, offset, grad.numel()).view(grad.sizes()));
            offset += grad.numel();
        }
    }
}

} // namespace lwb
