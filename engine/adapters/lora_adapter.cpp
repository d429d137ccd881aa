// See lora_adapter.h.
#include "engine/adapters/lora_adapter.h"

#include "engine/adapters/adapter_dropout.h"

#include <torch/nn/init.h>

#include <cmath>

// MKL's thread-local thread count, exported by the PyTorch wheels' libtorch_cpu
// (the BLAS that torch::matmul and torch::addmm call on the CPU). Weak: a
// LibTorch built on another BLAS leaves it null and SerialBlas does nothing.
// The name is MKL's exported symbol, not ours: the naming rule cannot apply.
extern "C" __attribute__((weak)) int MKL_Set_Num_Threads_Local(int threads); // NOLINT(readability-identifier-naming)

namespace lwb {

namespace {

// A LoRA's two products on the few rows of a decoding step are microseconds
// of work (rank x (in + out) multiply-adds a row), yet MKL still splits each
// over its OpenMP threads: a parallel region that wakes the sleeping threads
// (OMP_WAIT_POLICY=PASSIVE, or threads past their spin time) and waits for
// all of them at its barrier. On the Qwen2.5-0.5B shape that is 144 regions
// per token, and on a loaded machine each wake-up waits for a free core.
// Below this many multiply-adds the products run on the calling thread
// alone: the same MKL kernels (their results were bit-identical to the split
// ones on every 0.5B projection shape at one row), and no region opened.
// Measured: tests/bench/results/2026-12-07-lora-decoding-cost-cpu-2core.md.
constexpr std::int64_t kSerialProductWork = std::int64_t{1} << 20;

class SerialBlas
{
public:
    explicit SerialBlas(bool serial)
        : active_(serial && MKL_Set_Num_Threads_Local)
        , previous_(active_ ? MKL_Set_Num_Threads_Local(1) : 0)
    {
    }
    ~SerialBlas()
    {
        if (active_)
            MKL_Set_Num_Threads_Local(previous_); // 0: back to the global count
    }
    SerialBlas(const SerialBlas &) = delete;
    SerialBlas &operator=(const SerialBlas &) = delete;

private:
    bool active_;
    int previous_;
};

bool smallProducts(const torch::Tensor &x, std::int64_t rank, std::int64_t outFeatures)
{
    const auto in = x.size(-1);
    const auto rows = in == 0 ? 0 : x.numel() / in;
    return x.is_cpu() && rows * rank * (in + outFeatures) < kSerialProductWork;
}

} // namespace

double LoraOptions::scale() const
{
    return rslora ? alpha / std::sqrt(static_cast<double>(rank)) : alpha / static_cast<double>(rank);
}

LoraFactors registerLoraFactors(torch::nn::Module &module, std::int64_t inFeatures, std::int64_t outFeatures,
                                std::int64_t rank)
{
    LoraFactors factors;
    factors.a = module.register_parameter("lora_A", torch::empty({rank, inFeatures}));
    factors.b = module.register_parameter("lora_B", torch::zeros({outFeatures, rank}));
    torch::NoGradGuard noGrad;
    torch::nn::init::kaiming_uniform_(factors.a, std::sqrt(5.0));
    return factors;
}

LoraAdapterImpl::LoraAdapterImpl(std::int64_t inFeatures, std::int64_t outFeatures, const LoraOptions &options)
    : options_(options)
    , scale_(options.scale())
{
    const auto factors = registerLoraFactors(*this, inFeatures, outFeatures, options.rank);
    loraA = factors.a;
    loraB = factors.b;
}

torch::Tensor LoraAdapterImpl::shrink(const torch::Tensor &x)
{
    return torch::matmul(adapterDropout(x, options_.dropout, is_training()), loraA.t());
}

torch::Tensor LoraAdapterImpl::delta(const torch::Tensor &x)
{
    SerialBlas serial(smallProducts(x, loraA.size(0), loraB.size(0)));
    // Two thin matmuls (x A^T, then B): never form the [out, in] product.
    return torch::matmul(shrink(x), loraB.t()) * scale_;
}

torch::Tensor LoraAdapterImpl::addDelta(const torch::Tensor &base, const torch::Tensor &x)
{
    // base + s (x A^T) B^T as one GEMM with beta 1 (its backward passes the
    // gradient to base unchanged).
    SerialBlas serial(smallProducts(x, loraA.size(0), loraB.size(0)));
    const auto shrunk = shrink(x);
    return torch::addmm(base.reshape({-1, base.size(-1)}), shrunk.reshape({-1, shrunk.size(-1)}), loraB.t(), 1.0,
                        scale_)
        .view(base.sizes());
}

std::optional<torch::Tensor> LoraAdapterImpl::denseDelta() const
{
    return torch::matmul(loraB, loraA) * scale_;
}

} // namespace lwb
