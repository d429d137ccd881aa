// PluginEncoder: DLP-LoRA's plugin as the released code builds it
// (MeCuping/DLP-LoRA, srcClassifier/ClassifierModel.py: a transformer
// encoder, ALBERT or a distilled RoBERTa, read at the first token, then
// LayerNorm and Linear), plugin.kind "encoder". The paper's §3.1 describes
// a mini-MLP instead (plugin.kind "mlp", engine/dlp/plugin_classifier.h).
//
//   x_0 = LayerNorm(E[id_t] + P[t])                       token + learned position embeddings
//   per layer (post-LN, as BERT, ALBERT and RoBERTa):
//     a   = MultiHeadAttention(x) over the real tokens    keys at padding get -inf before softmax
//     x   = LayerNorm1(x + Dropout(a))
//     x   = LayerNorm2(x + Dropout(W2 GELU(W1 x + b1) + b2))     W1: d -> 4d, exact (erf) GELU
//   logits = Linear(LayerNorm(x[:, 0]))                   the first token (BOS for the built-in prompts)
//
// Differences from the released code, on purpose: trained from scratch (no
// pretrained ALBERT is available offline here; the released code fine-tunes
// one) and sized to about target_params trainable parameters like the MLP
// (width d, a multiple of `heads`, chosen for the target when width is 0);
// no ALBERT-style factorised or shared parameters.
//
// Parameters are named as PyTorch's nn.TransformerEncoderLayer names its own
// (layers.i.self_attn.in_proj_weight, .out_proj, linear1, linear2, norm1,
// norm2), so a PyTorch stack's state dict maps onto this one key for key
// (tests/engine/test_dlp_plugin_encoder.cpp compares against it).
// Initialisation: normal(0, 0.02) weights and zero biases, as BERT's
// initializer_range.
#pragma once

#include "engine/dlp/dlp_plugin.h"

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

namespace lwb {

// Trainable parameters of an encoder plugin of width d.
std::int64_t encoderParameterCount(const PluginOptions &options, std::int64_t width);

class PluginEncoderImpl : public DlpPluginImpl
{
public:
    // baseEmbedding must be undefined: the encoder has its own embeddings.
    explicit PluginEncoderImpl(const PluginOptions &options, const torch::Tensor &baseEmbedding = {});

    torch::Tensor forward(const torch::Tensor &ids, const torch::Tensor &mask) override;

    nlohmann::json manifest() const override;

private:
    torch::nn::Embedding tokenEmbedding_{nullptr};
    torch::nn::Embedding positionEmbedding_{nullptr};
    torch::nn::LayerNorm embeddingNorm_{nullptr};
    torch::nn::ModuleList layers_{nullptr};
    torch::nn::LayerNorm norm_{nullptr};
    torch::nn::Linear classifier_{nullptr};
};

TORCH_MODULE(PluginEncoder);

} // namespace lwb
