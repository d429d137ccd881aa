// See gathered_lora.h.
#include "engine/adapters/gathered_lora.h"

#include <torch/torch.h>

#ifdef LWB_HAVE_CUDA
#include "kernels/gathered_lora.h"

#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/csrc/autograd/custom_function.h>
#endif

#include <sstream>
#include <stdexcept>

namespace lwb {

namespace {

std::string shapeText(const torch::Tensor &t)
{
    std::ostringstream text;
    text << t.sizes();
    return text.str();
}

[[noreturn]] void fail(const std::string &problem)
{
    throw std::invalid_argument("gatheredLoraDelta: " + problem);
}

void checkInputs(const torch::Tensor &x, const torch::Tensor &loraA, const torch::Tensor &loraB,
                 const torch::Tensor &index, const torch::Tensor &weight)
{
    if (!x.defined() || !loraA.defined() || !loraB.defined() || !index.defined() || !weight.defined())
        fail("x, loraA, loraB, index and weight must all be given");
    if (x.dim() != 2)
        fail("x must be [T, in], got " + shapeText(x));
    const auto tokens = x.size(0), in = x.size(1);
    if (loraA.dim() != 3 || loraA.size(2) != in)
        fail("loraA must be [N, r, in] with in = " + std::to_string(in) + ", got " + shapeText(loraA));
    const auto adapters = loraA.size(0), rank = loraA.size(1);
    if (loraB.dim() != 3 || loraB.size(0) != adapters || loraB.size(2) != rank)
        fail("loraB must be [N, out, r] with N = " + std::to_string(adapters) + ", r = " + std::to_string(rank)
             + ", got " + shapeText(loraB));
    if (index.dim() != 2 || index.size(0) != tokens)
        fail("index must be [T, k] with T = " + std::to_string(tokens) + ", got " + shapeText(index));
    if (weight.sizes() != index.sizes())
        fail("weight must have index's shape " + shapeText(index) + ", got " + shapeText(weight));
    if (index.scalar_type() != torch::kInt64)
        fail("index must be int64");
    if (!x.is_floating_point() || !weight.is_floating_point())
        fail("x and weight must be floating point");
    if (loraA.scalar_type() != x.scalar_type() || loraB.scalar_type() != x.scalar_type())
        fail("x, loraA and loraB must share one dtype (x is " + std::string(c10::toString(x.scalar_type())) + ")");
    for (const auto *t : {&loraA, &loraB, &index, &weight})
        if (t->device() != x.device())
            fail("every tensor must be on x's device " + x.device().str() + ", one is on " + t->device().str());
    if (adapters == 0 || index.size(1) == 0)
        fail("need at least one adapter and one pair per token");
    // The range check reads the indexes: only where that costs no device wait.
    if (index.device().is_cpu() && index.numel() > 0 && ((index < -1) | (index >= adapters)).any().item<bool>())
        fail("index values must lie in [-1, " + std::to_string(adapters) + ")");
}

// The composition (see the header): autograd differentiates it.
torch::Tensor composedDelta(const torch::Tensor &x, const torch::Tensor &loraA, const torch::Tensor &loraB,
                            const torch::Tensor &index, const torch::Tensor &weight)
{
    const auto tokens = x.size(0), in = x.size(1), pairs = index.size(1);
    const auto adapters = loraA.size(0), rank = loraA.size(1), out = loraB.size(1);
    const auto valid = index >= 0;
    const auto slots = index.clamp_min(0).unsqueeze(-1).expand({tokens, pairs, rank});
    const auto w = torch::where(valid, weight.to(x.scalar_type()), torch::zeros({}, x.options()));
    const auto shrunk = x.matmul(loraA.reshape({adapters * rank, in}).t()).view({tokens, adapters, rank});
    const auto h = shrunk.gather(1, slots); // [T, k, r]
    const auto spread = torch::zeros({tokens, adapters, rank}, x.options()).scatter_add(1, slots, h * w.unsqueeze(-1));
    // B_all [out, N r]: column n r + c is B[n][:, c].
    const auto expandAll = loraB.permute({1, 0, 2}).reshape({out, adapters * rank});
    return spread.view({tokens, adapters * rank}).matmul(expandAll.t());
}

#ifdef LWB_HAVE_CUDA

kernels::GatheredLoraShape kernelShape(const torch::Tensor &x, const torch::Tensor &loraA, const torch::Tensor &loraB,
                                       const torch::Tensor &index)
{
    kernels::GatheredLoraShape shape;
    shape.tokens = x.size(0);
    shape.in = x.size(1);
    shape.pairs = index.size(1);
    shape.adapters = loraA.size(0);
    shape.rank = loraA.size(1);
    shape.out = loraB.size(1);
    return shape;
}

kernels::GatheredLoraDeviceBuffers kernelBuffers(const torch::Tensor &x, const torch::Tensor &loraA,
                                                 const torch::Tensor &loraB, const torch::Tensor &index,
                                                 const torch::Tensor &weight)
{
    kernels::GatheredLoraDeviceBuffers buffers;
    buffers.element
        = x.scalar_type() == torch::kBFloat16 ? kernels::GatheredElement::BFloat16 : kernels::GatheredElement::Float32;
    buffers.x = x.data_ptr();
    buffers.loraA = loraA.data_ptr();
    buffers.loraB = loraB.data_ptr();
    buffers.index = index.data_ptr<std::int64_t>();
    buffers.weight = weight.data_ptr<float>();
    return buffers;
}

void *currentStream(const torch::Tensor &x)
{
    return c10::cuda::getCurrentCUDAStream(x.device().index()).stream();
}

// The kernels as one autograd node. Inputs contiguous; weight float32.
struct GatheredLoraKernel : public torch::autograd::Function<GatheredLoraKernel>
{
    static torch::Tensor forward(torch::autograd::AutogradContext *ctx, const torch::Tensor &x,
                                 const torch::Tensor &loraA, const torch::Tensor &loraB, const torch::Tensor &weight,
                                 const torch::Tensor &index)
    {
        const c10::cuda::CUDAGuard guard(x.device());
        const auto shape = kernelShape(x, loraA, loraB, index);
        auto h = torch::empty({shape.tokens, shape.pairs, shape.rank}, x.options().dtype(torch::kFloat32));
        auto y = torch::zeros({shape.tokens, shape.out}, x.options());
        kernels::gatheredLoraForwardCuda(shape, kernelBuffers(x, loraA, loraB, index, weight), h.data_ptr<float>(),
                                         y.data_ptr(), currentStream(x));
        ctx->save_for_backward({x, loraA, loraB, weight, index});
        ctx->saved_data["h"] = h; // an intermediate, not an input or output
        return y;
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx,
                                                   torch::autograd::variable_list grads)
    {
        const auto saved = ctx->get_saved_variables();
        const auto &x = saved[0], &loraA = saved[1], &loraB = saved[2], &weight = saved[3], &index = saved[4];
        const auto h = ctx->saved_data["h"].toTensor();
        const c10::cuda::CUDAGuard guard(x.device());
        const auto shape = kernelShape(x, loraA, loraB, index);
        const auto gradY = grads[0].to(x.scalar_type()).contiguous();
        // The pairs grouped by adapter, stable (token order within an
        // adapter), empty slots last: the segments of dA and dB.
        const auto flat = index.reshape({-1});
        const auto key = torch::where(flat < 0, torch::full_like(flat, shape.adapters), flat);
        const auto order = std::get<1>(key.sort(/*stable=*/true, /*dim=*/0, /*descending=*/false)).contiguous();
        const auto perAdapter
            = torch::zeros({shape.adapters + 1}, flat.options()).index_add_(0, key, torch::ones_like(key));
        const auto offsets = torch::cat({torch::zeros({1}, flat.options()), perAdapter.cumsum(0)}).contiguous();

        const auto f32 = x.options().dtype(torch::kFloat32);
        auto scratch = torch::empty({shape.tokens, shape.pairs, shape.rank}, f32);
        torch::Tensor gradX;
        if (ctx->needs_input_grad(0))
            gradX = torch::empty_like(x);
        auto gradA = torch::empty({shape.adapters, shape.rank, shape.in}, f32);
        auto gradB = torch::empty({shape.adapters, shape.out, shape.rank}, f32);
        auto gradWeight = torch::empty({shape.tokens, shape.pairs}, f32);
        kernels::GatheredLoraGradients out;
        out.scratchG = scratch.data_ptr<float>();
        out.gradX = gradX.defined() ? gradX.data_ptr() : nullptr;
        out.gradA = gradA.data_ptr<float>();
        out.gradB = gradB.data_ptr<float>();
        out.gradWeight = gradWeight.data_ptr<float>();
        if (shape.tokens == 0 && gradX.defined())
            gradX.zero_();
        kernels::gatheredLoraBackwardCuda(shape, kernelBuffers(x, loraA, loraB, index, weight), h.data_ptr<float>(),
                                          gradY.data_ptr(), order.data_ptr<std::int64_t>(),
                                          offsets.data_ptr<std::int64_t>(), out, currentStream(x));
        return {gradX, gradA.to(loraA.scalar_type()), gradB.to(loraB.scalar_type()), gradWeight, torch::Tensor()};
    }
};

#endif

} // namespace

bool gatheredLoraKernelRuns(const torch::Tensor &x)
{
#ifdef LWB_HAVE_CUDA
    return x.defined() && x.is_cuda() && (x.scalar_type() == torch::kFloat32 || x.scalar_type() == torch::kBFloat16);
#else
    (void)x;
    return false;
#endif
}

torch::Tensor gatheredLoraDelta(const torch::Tensor &x, const torch::Tensor &loraA, const torch::Tensor &loraB,
                                const torch::Tensor &index, const torch::Tensor &weight, GatheredLoraPath path)
{
    checkInputs(x, loraA, loraB, index, weight);
    const bool kernel = gatheredLoraKernelRuns(x);
    if (path == GatheredLoraPath::Kernel && !kernel)
        fail("the kernel path needs a build with nvcc and CUDA tensors of float32 or bfloat16; x is "
             + std::string(c10::toString(x.scalar_type())) + " on " + x.device().str());
    if (path == GatheredLoraPath::Composition || !kernel)
        return composedDelta(x, loraA, loraB, index, weight);
#ifdef LWB_HAVE_CUDA
    return GatheredLoraKernel::apply(x.contiguous(), loraA.contiguous(), loraB.contiguous(),
                                     weight.to(torch::kFloat32).contiguous(), index.contiguous());
#else
    return composedDelta(x, loraA, loraB, index, weight);
#endif
}

} // namespace lwb
