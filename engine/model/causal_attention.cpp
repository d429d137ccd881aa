// See causal_attention.h.
#include "engine/model/causal_attention.h"

#include <cmath>
#include <optional>

namespace lwb {

namespace {

// true = may attend: key j <= past + i, and within the window when there is one.
torch::Tensor allowedKeys(std::int64_t length, std::int64_t past, std::int64_t window, const torch::Device &device)
{
    const auto options = torch::TensorOptions().dtype(torch::kInt64).device(device);
    const auto query = torch::arange(past, past + length, options).unsqueeze(1);
    const auto key = torch::arange(0, past + length, options).unsqueeze(0);
    auto allowed = key <= query;
    if (window > 0)
        allowed = allowed.logical_and(key > query - window);
    return allowed;
}

torch::Tensor softcappedAttention(const torch::Tensor &q, const torch::Tensor &k, const torch::Tensor &v,
                                  const torch::Tensor &allowed, double scale, double softcap)
{
    const auto groups = q.size(1) / k.size(1);
    const auto keys = groups > 1 ? k.repeat_interleave(groups, 1) : k;
    const auto values = groups > 1 ? v.repeat_interleave(groups, 1) : v;
    auto scores = torch::matmul(q, keys.transpose(2, 3)) * scale;
    scores = torch::tanh(scores / softcap) * softcap;
    scores = scores.masked_fill(allowed.logical_not(), -std::numeric_limits<double>::infinity());
    const auto weights = torch::softmax(scores, -1, torch::kFloat32).to(q.scalar_type());
    return torch::matmul(weights, values);
}

// [B, 1, T, past + T]: the causal (and window) mask, minus padding keys,
// plus each query's own slot.
torch::Tensor allowedRealKeys(std::int64_t length, std::int64_t past, std::int64_t window,
                              const torch::Tensor &realKeys)
{
    const auto options = torch::TensorOptions().dtype(torch::kInt64).device(realKeys.device());
    const auto self = torch::arange(past, past + length, options).unsqueeze(1)
                      == torch::arange(0, past + length, options).unsqueeze(0);
    const auto allowed = allowedKeys(length, past, window, realKeys.device());
    return allowed.logical_and(realKeys.unsqueeze(1).logical_or(self)).unsqueeze(1);
}

} // namespace

torch::Tensor causalAttention(const torch::Tensor &q, const torch::Tensor &k, const torch::Tensor &v, std::int64_t past,
                              const CausalAttentionOptions &options, const torch::Tensor &realKeys)
{
    const auto length = q.size(2);
    const double scale = options.scale > 0.0 ? options.scale : 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
    const bool windowCuts = options.window > 0 && past + length > options.window;
    if (realKeys.defined()) {
        const auto mask = allowedRealKeys(length, past, options.window, realKeys.to(q.device()));
        if (options.softcap > 0.0)
            return softcappedAttention(q, k, v, mask, scale, options.softcap);
        return at::scaled_dot_product_attention(q, k, v, mask, /*dropout_p=*/0.0, /*is_causal=*/false,
                                                options.scale > 0.0 ? std::optional<double>(scale) : std::nullopt,
                                                /*enable_gqa=*/k.size(1) != q.size(1));
    }
    if (options.softcap > 0.0)
        return softcappedAttention(q, k, v, allowedKeys(length, past, options.window, q.device()), scale,
                                   options.softcap);
    // Without a cache or window the mask is plain causal; one new position
    // sees everything cached; otherwise the mask is explicit (is_causal would
    // align the triangle to the top-left corner).
    std::optional<torch::Tensor> mask;
    if (windowCuts || (past > 0 && length > 1))
        mask = allowedKeys(length, past, options.window, q.device());
    const bool isCausal = !mask && past == 0 && length > 1;
    return at::scaled_dot_product_attention(q, k, v, mask, /*dropout_p=*/0.0, isCausal,
                                            options.scale > 0.0 ? std::optional<double>(scale) : std::nullopt,
                                            /*enable_gqa=*/k.size(1) != q.size(1));
}

} // namespace lwb
