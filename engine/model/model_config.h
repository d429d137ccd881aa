// ModelConfig: the shape of the decoder-only transformer (GPT-2 or Llama
// family) and the built-in presets.
//
// Field names follow Hugging Face's config.json so that checkpoints map onto
// them one to one (hidden_size, num_attention_heads, ...).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lwb {

enum class Architecture { Gpt2, Llama };

const char *toString(Architecture architecture);

struct ModelConfig
{
    std::string preset = "gpt2-tiny"; // name the defaults came from ("" = none)
    // A Hugging Face checkpoint folder (or "builtin:NAME", base_model.h) whose
    // weights the base starts from; "" = random weights drawn from initSeed.
    std::string path;
    Architecture architecture = Architecture::Gpt2;
    std::int64_t vocabSize = 259;     // the byte tokenizer: 256 bytes + BOS/EOS/PAD
    std::int64_t hiddenSize = 128;
    std::int64_t numLayers = 4;
    std::int64_t numHeads = 4;
    std::int64_t numKvHeads = 4;      // < numHeads: grouped-query attention (Llama)
    std::int64_t intermediateSize = 512;
    std::int64_t maxPositions = 256;
    bool tieWordEmbeddings = true;
    bool attentionBias = true;        // q/k/v biases (GPT-2 always; Qwen2 true; Llama false)
    double ropeTheta = 10000.0;
    double normEps = 1e-5;
    std::uint64_t initSeed = 1234;    // seed of the random base weights (same base for every run)
    double initializerRange = 0.02;   // std of the random base weights (HF's initializer_range)

    std::int64_t headDim() const { return hiddenSize / numHeads; }
};

// The built-in presets, by name.
std::vector<std::string> modelPresetNames();
// Throws lwb::Error for an unknown name.
ModelConfig modelPreset(const std::string &name);

} // namespace lwb
