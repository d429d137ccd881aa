// The training loss without the logits: the sum over tokens of
//   cross_entropy(hidden_t W^T, label_t)      (labels of kIgnoreLabel skipped)
// computed a chunk of tokens at a time, with the gradient taken in the same
// pass. The plain composition, linear then cross_entropy, keeps the [N, vocab]
// logits, their log-softmax and, in the backward, two more tensors of that
// size: at a 152k vocabulary and 512 tokens 1.2 GB per step written and read
// once each, fresh pages the kernel must zero. Here each chunk's logits
// become their softmax in place, minus the one-hot label, and go straight
// into the gradient products:
//   dL/dhidden_c = (softmax(z_c) - onehot_c) W,   dL/dW += (softmax(z_c) - onehot_c)^T hidden_c
// (the latter only when W trains: variant "full"). The same products as the
// composition's backward, so the same FLOPs; the forward does them, and the
// backward scales them by the incoming gradient.
// Chunks are at least 1024 tokens: each chunk's product reads (and BLAS
// packs) all of W again, and at a 152k vocabulary chunks of 27 tokens (4M
// logits) made a Qwen2.5-0.5B-shaped step slower than the composition (81
// against 83 tokens/s); one chunk of its 512 tokens made it 97.
//
// Final logit soft-capping (Gemma 2: softcap > 0): the logits are
// y = cap tanh(z / cap), so dL/dz = (softmax(y) - onehot) (1 - tanh^2(z / cap)),
// the tanh kept for the chunk only.
//
// Reference: linear (+ CausalLMImpl::softcapLogits) + torch::nn::functional::
// cross_entropy (reduction sum), tests/engine/test_fused_cross_entropy.cpp,
// float64 and float32.
#pragma once

#include <torch/types.h>

namespace lwb {

// hidden [N, D], weight [V, D], labels [N] int64 -> 0-dim sum of the token
// losses (hidden's dtype, accumulated in float64). Differentiable in hidden
// and weight. chunkTokens <= 0 picks max(1024, 4M / vocab) tokens a chunk.
// softcap > 0 caps the logits first (the model's finalLogitSoftcap).
torch::Tensor fusedLinearCrossEntropy(const torch::Tensor &hidden, const torch::Tensor &weight,
                                      const torch::Tensor &labels, std::int64_t chunkTokens = 0, double softcap = 0.0);

} // namespace lwb
