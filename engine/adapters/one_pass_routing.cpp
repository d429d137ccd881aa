// See one_pass_routing.h.
#include "engine/adapters/one_pass_routing.h"

#include "kernels/token_routing.h"

#include <torch/torch.h>

#ifdef LWB_HAVE_CUDA
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

#include <sstream>
#include <stdexcept>

namespace lwb {

namespace {

[[noreturn]] void fail(const std::string &problem)
{
    throw std::invalid_argument("routeInOnePass: " + problem);
}

template <typename T>
void routeOnHost(const kernels::TokenRoutingShape &shape, const kernels::TokenRoutingOptions &options,
                 const torch::Tensor &logits, const torch::Tensor &real, const torch::Tensor &queues,
                 OnePassRouting &out)
{
    kernels::TokenRoutingOutputs<T> buffers;
    buffers.experts = out.experts.data_ptr<std::int64_t>();
    buffers.admitted = out.admitted.data_ptr<std::uint8_t>();
    buffers.gates = out.gates.data_ptr<T>();
    buffers.capacity = out.capacity.defined() ? out.capacity.data_ptr<std::int64_t>() : nullptr;
    buffers.counts = out.counts.data_ptr<std::int64_t>();
    kernels::routeTokensReference<T>(shape, options, logits.data_ptr<T>(), real.data_ptr<std::uint8_t>(),
                                     queues.defined() ? queues.data_ptr<std::uint8_t>() : nullptr,
                                     out.probs.data_ptr<T>(), buffers);
}

} // namespace

OnePassRouting routeInOnePass(const torch::Tensor &logits, const torch::Tensor &realTokens, std::int64_t groups,
                              std::int64_t topK, double capacityFactor, bool renormalizeGates,
                              const torch::Tensor &queues)
{
    if (!logits.defined() || logits.dim() != 2)
        fail("logits must be [T, E]");
    const auto tokens = logits.size(0), experts = logits.size(1);
    if (!realTokens.defined() || realTokens.dim() != 1 || realTokens.size(0) != tokens
        || realTokens.scalar_type() != torch::kBool)
        fail("realTokens must be [T] bool with T = " + std::to_string(tokens));
    if (topK < 1 || topK > experts)
        fail("top_k " + std::to_string(topK) + " must lie in [1, E = " + std::to_string(experts) + "]");
    if (groups < 1 || tokens % groups != 0)
        fail("tokens (" + std::to_string(tokens) + ") must split into " + std::to_string(groups) + " equal groups");
    if (queues.defined()
        && (queues.dim() != 2 || queues.size(0) != tokens || queues.size(1) != topK
            || queues.scalar_type() != torch::kBool))
        fail("queues must be [T, k] bool");
    for (const auto *t : {&realTokens, &queues})
        if (t->defined() && t->device() != logits.device())
            fail("every tensor must be on the logits' device " + logits.device().str());

    const auto type = logits.scalar_type();
    const bool onCuda = logits.is_cuda();
    if (onCuda && type != torch::kFloat32 && type != torch::kBFloat16)
        fail("CUDA logits must be float32 or bfloat16");
    if (!onCuda && (!logits.device().is_cpu() || (type != torch::kFloat32 && type != torch::kFloat64)))
        fail("needs CPU logits of float32 or float64, or CUDA logits in a build with nvcc; got "
             + std::string(c10::toString(type)) + " on " + logits.device().str());

    kernels::TokenRoutingShape shape{tokens, experts, topK, groups};
    kernels::TokenRoutingOptions options{capacityFactor, renormalizeGates};
    const auto contiguousLogits = logits.contiguous();
    const auto real = realTokens.to(torch::kUInt8).contiguous();
    const auto queued = queues.defined() ? queues.to(torch::kUInt8).contiguous() : torch::Tensor();
    const auto ints = logits.options().dtype(torch::kInt64);
    OnePassRouting out;
    out.probs = torch::empty_like(contiguousLogits);
    out.experts = torch::empty({tokens, topK}, ints);
    const auto admitted = torch::empty({tokens, topK}, logits.options().dtype(torch::kUInt8));
    out.admitted = admitted;
    out.gates = torch::empty({tokens, topK}, logits.options().dtype(type == torch::kFloat64 ? type : torch::kFloat32));
    if (capacityFactor > 0.0)
        out.capacity = torch::empty({groups}, ints);
    out.counts = torch::empty({3 * experts + 1}, ints);

    if (onCuda) {
#ifdef LWB_HAVE_CUDA
        const c10::cuda::CUDAGuard guard(logits.device());
        kernels::TokenRoutingOutputs<float> buffers;
        buffers.experts = out.experts.data_ptr<std::int64_t>();
        buffers.admitted = admitted.data_ptr<std::uint8_t>();
        buffers.gates = out.gates.data_ptr<float>();
        buffers.capacity = out.capacity.defined() ? out.capacity.data_ptr<std::int64_t>() : nullptr;
        buffers.counts = out.counts.data_ptr<std::int64_t>();
        kernels::routeTokensCuda(shape, options, type == torch::kBFloat16, contiguousLogits.data_ptr(),
                                 real.data_ptr<std::uint8_t>(),
                                 queued.defined() ? queued.data_ptr<std::uint8_t>() : nullptr, out.probs.data_ptr(),
                                 buffers, c10::cuda::getCurrentCUDAStream(logits.device().index()).stream());
#else
        fail("this build has no CUDA kernels (nvcc was not found when it was configured)");
#endif
    } else if (type == torch::kFloat64) {
        routeOnHost<double>(shape, options, contiguousLogits, real, queued, out);
    } else {
        routeOnHost<float>(shape, options, contiguousLogits, real, queued, out);
    }
    out.admitted = admitted.to(torch::kBool);
    return out;
}

} // namespace lwb
