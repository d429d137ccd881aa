// See block_checkpoint.h.
#include "engine/model/block_checkpoint.h"

#include <ATen/Context.h>
#include <ATen/autocast_mode.h>
#include <torch/autograd.h>

namespace lwb {

namespace {

using BlockFunction = std::function<torch::Tensor(const torch::Tensor &)>;

// What the recomputation needs besides the saved input, carried through the
// autograd context as a capsule (saved_data holds IValues only).
struct RecomputeState : torch::CustomClassHolder
{
    BlockFunction block;
    c10::DeviceType deviceType = c10::DeviceType::CPU;
    torch::Tensor cpuRngState;
    torch::Tensor deviceRngState; // x's device when it is not the CPU
    c10::Device device{torch::kCPU};
    bool autocastEnabled = false;
    torch::ScalarType autocastDtype = torch::kFloat32;
    bool inputNeedsGrad = false;
    std::vector<torch::Tensor> parameters; // the block's, that need gradients
};

at::Generator defaultGenerator(const c10::Device &device)
{
    return at::globalContext().defaultGenerator(device);
}

torch::Tensor generatorState(const c10::Device &device)
{
    auto generator = defaultGenerator(device);
    std::lock_guard<std::mutex> lock(generator.mutex());
    return generator.get_state();
}

void setGeneratorState(const c10::Device &device, const torch::Tensor &state)
{
    auto generator = defaultGenerator(device);
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(state);
}

// Puts the forward's generator states back for the recomputation and the
// caller's back after it, so backward never shifts the random stream.
class RngReplay
{
public:
    explicit RngReplay(const RecomputeState &state)
        : state_(state)
        , cpuNow_(generatorState(torch::kCPU))
    {
        setGeneratorState(torch::kCPU, state.cpuRngState);
        if (state.deviceRngState.defined()) {
            deviceNow_ = generatorState(state.device);
            setGeneratorState(state.device, state.deviceRngState);
        }
    }
    ~RngReplay()
    {
        setGeneratorState(torch::kCPU, cpuNow_);
        if (deviceNow_.defined())
            setGeneratorState(state_.device, deviceNow_);
    }
    RngReplay(const RngReplay &) = delete;
    RngReplay &operator=(const RngReplay &) = delete;

private:
    const RecomputeState &state_;
    torch::Tensor cpuNow_, deviceNow_;
};

// The forward's autocast state, for the recomputation (backward runs outside
// the trainer's autocast scope).
class AutocastReplay
{
public:
    explicit AutocastReplay(const RecomputeState &state)
        : deviceType_(state.deviceType)
        , wasEnabled_(at::autocast::is_autocast_enabled(deviceType_))
        , previousDtype_(at::autocast::get_autocast_dtype(deviceType_))
    {
        at::autocast::set_autocast_enabled(deviceType_, state.autocastEnabled);
        at::autocast::set_autocast_dtype(deviceType_, state.autocastDtype);
        if (state.autocastEnabled)
            at::autocast::increment_nesting();
        nested_ = state.autocastEnabled;
    }
    ~AutocastReplay()
    {
        if (nested_ && at::autocast::decrement_nesting() == 0)
            at::autocast::clear_cache();
        at::autocast::set_autocast_enabled(deviceType_, wasEnabled_);
        at::autocast::set_autocast_dtype(deviceType_, previousDtype_);
    }
    AutocastReplay(const AutocastReplay &) = delete;
    AutocastReplay &operator=(const AutocastReplay &) = delete;

private:
    c10::DeviceType deviceType_;
    bool wasEnabled_;
    torch::ScalarType previousDtype_;
    bool nested_ = false;
};

struct CheckpointFunction : torch::autograd::Function<CheckpointFunction>
{
    // The parameters are inputs only so that their gradients have edges; the
    // recomputation reaches them through the block (and state->parameters).
    static torch::Tensor forward(torch::autograd::AutogradContext *ctx, const c10::intrusive_ptr<RecomputeState> &state,
                                 const torch::Tensor &x, torch::TensorList /*parameters*/)
    {
        ctx->save_for_backward({x});
        ctx->saved_data["state"] = c10::IValue::make_capsule(state);
        return state->block(x); // Function::apply runs this with autograd off: nothing is kept
    }

    static torch::autograd::tensor_list backward(torch::autograd::AutogradContext *ctx,
                                                 torch::autograd::tensor_list gradOutputs)
    {
        const auto state = c10::static_intrusive_pointer_cast<RecomputeState>(ctx->saved_data["state"].toCapsule());
        const auto input = ctx->get_saved_variables()[0].detach().requires_grad_(state->inputNeedsGrad);
        torch::Tensor output;
        {
            RngReplay rng(*state);
            AutocastReplay autocast(*state);
            torch::AutoGradMode gradMode(true);
            output = state->block(input);
        }
        std::vector<torch::Tensor> with;
        if (state->inputNeedsGrad)
            with.push_back(input);
        with.insert(with.end(), state->parameters.begin(), state->parameters.end());
        const auto grads = torch::autograd::grad({output}, with, {gradOutputs[0]}, /*retain_graph=*/false,
                                                 /*create_graph=*/false, /*allow_unused=*/true);
        // One gradient per input of forward: state (none), x, each parameter.
        torch::autograd::tensor_list result{torch::Tensor()};
        std::size_t next = 0;
        result.push_back(state->inputNeedsGrad ? grads[next++] : torch::Tensor());
        while (next < grads.size())
            result.push_back(grads[next++]);
        return result;
    }
};

} // namespace

torch::Tensor checkpointedForward(const BlockFunction &block, const torch::Tensor &x,
                                  const std::vector<torch::Tensor> &parameters)
{
    auto state = c10::make_intrusive<RecomputeState>();
    state->block = block;
    state->parameters = parameters;
    state->inputNeedsGrad = x.requires_grad();
    state->device = x.device();
    state->deviceType = x.device().type();
    state->cpuRngState = generatorState(torch::kCPU);
    if (!x.device().is_cpu())
        state->deviceRngState = generatorState(x.device());
    state->autocastEnabled = at::autocast::is_autocast_enabled(state->deviceType);
    state->autocastDtype = at::autocast::get_autocast_dtype(state->deviceType);
    return CheckpointFunction::apply(state, x, torch::TensorList(parameters));
}

} // namespace lwb
