// PluginClassifier: DLP-LoRA's "mini-MLP" plugin (arXiv 2410.01497, §3.1),
// which reads a prompt and says which task it belongs to.
//
//   e_t = E[token_t]                 own trainable table [V, d], or the base
//                                    model's frozen input embeddings [V, D]
//   m   = mean of e_t over the real tokens (padding excluded)
//         + mean of g_t over the real token pairs, when bigramBuckets > 0:
//           g_t = G[(token_{t-1} * V + token_t) mod bigramBuckets], an own
//           trainable table [bigramBuckets, d]. With a byte tokenizer the
//           unigram mean is a bag of characters ("translate-fr" and
//           "translate-de" differ by four letters among the word's); byte
//           pairs keep the local order that tells such prompts apart.
//   logits = MLP(m): `layers` linear layers, ReLU between them, the last to
//            the N tasks of the library (in library order)
//
// This is the paper's plugin (§3.1: a mini-MLP of about 5M parameters),
// plugin.kind "mlp". The released code's plugin is another model, a
// transformer encoder read at the first token (plugin.kind "encoder",
// engine/dlp/plugin_encoder.h); the byte-pair table is ours. Width 0 picks
// the hidden width
// that brings the trainable count closest to targetParams (parameterCount()
// says what was built). With the base embeddings the table is a buffer: it
// neither trains nor counts.
#pragma once

#include "engine/dlp/dlp_plugin.h"

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>

namespace lwb {

// Trainable parameters of a plugin of this shape (embedding dim d, width h).
std::int64_t pluginParameterCount(const PluginOptions &options, std::int64_t embeddingDim, std::int64_t width);

class PluginClassifierImpl : public DlpPluginImpl
{
public:
    // baseEmbedding: [V, D] when options.baseEmbedding (copied, frozen).
    explicit PluginClassifierImpl(const PluginOptions &options, const torch::Tensor &baseEmbedding = {});

    // ids [B, T] int64, mask [B, T] bool (true = real token) -> logits [B, N].
    torch::Tensor forward(const torch::Tensor &ids, const torch::Tensor &mask) override;

    nlohmann::json manifest() const override;

private:
    torch::nn::Embedding embedding_{nullptr}; // own table
    torch::nn::Embedding bigrams_{nullptr};   // hashed token pairs (bigramBuckets > 0)
    torch::Tensor baseEmbedding_;             // frozen buffer "base_embedding"
    torch::nn::ModuleList mlp_{nullptr};
};

TORCH_MODULE(PluginClassifier);

} // namespace lwb
