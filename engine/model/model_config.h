// ModelConfig: the shape of the decoder-only transformer (GPT-2 or Llama
// family) and the built-in presets.
//
// Field names follow Hugging Face's config.json so that checkpoints map onto
// them one to one (hidden_size, num_attention_heads, ...). The Llama family
// covers every rotary pre-norm decoder transformers has under another
// model_type (Mistral, Qwen2/3, Gemma/Gemma 2, Phi-3, GPT-NeoX): what sets
// each apart is a field below, read once when the model is built, so the
// plain Llama path pays for none of them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lwb {

enum class Architecture { Gpt2, Llama };

const char *toString(Architecture architecture);

// Rotary scaling as transformers' rope_parameters name it: "default" (none),
// "linear" (positions divided by factor) or "llama3" (Llama 3.1's smoothed
// per-frequency division, with low/high_freq_factor and
// original_max_position_embeddings).
struct RopeScaling
{
    std::string type = "default";
    double factor = 1.0;
    double lowFreqFactor = 1.0;
    double highFreqFactor = 4.0;
    std::int64_t originalMaxPositions = 0;
};

struct ModelConfig
{
    std::string preset = "gpt2-tiny"; // name the defaults came from ("" = none)
    // A Hugging Face checkpoint folder (or "builtin:NAME", base_model.h) whose
    // weights the base starts from; "" = random weights drawn from initSeed.
    std::string path;
    Architecture architecture = Architecture::Gpt2;
    std::int64_t vocabSize = 259; // the byte tokenizer: 256 bytes + BOS/EOS/PAD
    std::int64_t hiddenSize = 128;
    std::int64_t numLayers = 4;
    std::int64_t numHeads = 4;
    std::int64_t numKvHeads = 4; // < numHeads: grouped-query attention (Llama)
    std::int64_t intermediateSize = 512;
    std::int64_t maxPositions = 256;
    bool tieWordEmbeddings = true;
    bool attentionBias = true; // q/k/v biases (GPT-2 always; Qwen2 true; Llama false)
    double ropeTheta = 10000.0;
    double normEps = 1e-5;

    // Llama-family variants (hf_config.h reads them from config.json).
    std::string modelType;          // HF model_type; "" = the family's own (gpt2 / llama / qwen2)
    std::int64_t headDimension = 0; // HF head_dim; 0 = hiddenSize / numHeads
    RopeScaling ropeScaling;
    double partialRotaryFactor = 1.0; // share of each head rotated (Phi-3 may rotate less)
    bool attentionOutputBias = false; // o_proj bias (Llama / Qwen3 / Gemma attention_bias)
    bool qkNorm = false;              // Qwen3: RMSNorm per head on q and k, before rotary
    bool fusedProjections = false;    // Phi-3: qkv_proj and gate_up_proj
    // The MLP's activation: "silu", "gelu_pytorch_tanh" (Gemma; GPT-NeoX's
    // gelu_new) or "gelu" (erf, GPT-NeoX / Pythia).
    std::string hiddenActivation = "silu";
    bool normPlusOne = false;        // Gemma: RMSNorm scales by (1 + weight)
    bool scaleEmbeddings = false;    // Gemma: embeddings times sqrt(hidden_size)
    bool sandwichNorms = false;      // Gemma 2: norms after attention and around the MLP
    double attentionSoftcap = 0.0;   // Gemma 2: scores -> cap tanh(scores / cap); 0 = none
    double finalLogitSoftcap = 0.0;  // Gemma 2: the same on the logits; 0 = none
    double queryPreAttnScalar = 0.0; // Gemma 2: scores scaled by its -1/2; 0 = head_dim
    std::int64_t slidingWindow = 0;  // a query sees this many positions (itself included); 0 = all
    std::vector<bool> slidingLayers; // which layers use the window; empty = every layer
    // GPT-NeoX (modelType "gpt_neox", gptNeox()): gpt_neox.* names, LayerNorm
    // with bias, query_key_value laid out per head, an ungated MLP with biases.
    bool parallelResidual = false; // use_parallel_residual: x + attn(ln1(x)) + mlp(ln2(x))

    std::uint64_t initSeed = 1234;  // seed of the random base weights (same base for every run)
    double initializerRange = 0.02; // std of the random base weights (HF's initializer_range)

    std::int64_t headDim() const { return headDimension > 0 ? headDimension : hiddenSize / numHeads; }
    // The window of layer `layer`, 0 when it attends to every earlier position.
    std::int64_t slidingWindowOf(std::int64_t layer) const
    {
        if (slidingWindow <= 0)
            return 0;
        return slidingLayers.empty() || slidingLayers.at(static_cast<std::size_t>(layer)) ? slidingWindow : 0;
    }
    // GPT-NeoX's layout (module names, norms, fused per-head qkv, plain MLP).
    bool gptNeox() const { return modelType == "gpt_neox"; }
    // The model_type written to and read from config.json.
    std::string hfModelType() const;
};

// The built-in presets, by name.
std::vector<std::string> modelPresetNames();
// Throws lwb::Error for an unknown name.
ModelConfig modelPreset(const std::string &name);

} // namespace lwb
