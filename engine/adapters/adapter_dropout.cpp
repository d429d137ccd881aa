// See adapter_dropout.h.
#include "engine/adapters/adapter_dropout.h"

#include "kernels/dropout_mask.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <mutex>

namespace lwb {

namespace {

// One 64-bit draw from torch's default CPU generator: the mask's key, so
// torch::manual_seed fixes the mask as it fixes every other draw.
std::uint64_t keyFromTorchGenerator()
{
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    return generator.get<at::CPUGeneratorImpl>()->random64();
}

template <typename T> torch::Tensor keepMask(const torch::Tensor &x, double p)
{
    auto mask = torch::empty(x.sizes(), x.options().memory_format(torch::MemoryFormat::Contiguous));
    T *data = mask.data_ptr<T>();
    const auto key = keyFromTorchGenerator();
    at::parallel_for(0, mask.numel(), 1 << 14, [&](std::int64_t begin, std::int64_t end) {
        kernels::dropoutKeepMask(data + begin, end - begin, key, static_cast<std::uint64_t>(begin), p);
    });
    return mask;
}

} // namespace

torch::Tensor adapterDropout(const torch::Tensor &x, double p, bool training)
{
    if (!training || p <= 0.0)
        return x;
    torch::Tensor keep;
    if (x.is_cpu() && x.scalar_type() == torch::kFloat32)
        keep = keepMask<float>(x, p);
    else if (x.is_cpu() && x.scalar_type() == torch::kFloat64)
        keep = keepMask<double>(x, p);
    else
        keep = (torch::rand_like(x) >= p).to(x.scalar_type()).mul_(1.0 / (1.0 - p));
    return x * keep;
}

} // namespace lwb
