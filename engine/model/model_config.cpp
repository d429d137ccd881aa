// See model_config.h. The presets are small enough to train on a laptop CPU
// in minutes; the real checkpoints come through the Hugging Face loader.
#include "engine/model/model_config.h"

#include "engine/core/error.h"

namespace lwb {

const char *toString(Architecture architecture)
{
    return architecture == Architecture::Gpt2 ? "gpt2" : "llama";
}

std::string ModelConfig::hfModelType() const
{
    if (!modelType.empty())
        return modelType;
    if (architecture == Architecture::Gpt2)
        return "gpt2";
    // A Llama-style preset with q/k/v biases is written as Qwen2, because
    // transformers' Llama would also put a bias on o_proj.
    return attentionBias ? "qwen2" : "llama";
}

std::vector<std::string> modelPresetNames()
{
    return {"gpt2-tiny", "llama-tiny", "llama-small"};
}

ModelConfig modelPreset(const std::string &name)
{
    ModelConfig config;
    config.preset = name;
    // The tiny presets are random, frozen bases. At HF's 0.02 a tied 128-wide
    // random embedding caps every logit near +-2.5, so no adapter could make
    // a confident prediction; 0.25 lets the frozen output layer express one.
    config.initializerRange = 0.25;
    if (name == "gpt2-tiny")
        return config; // the other defaults are this preset
    if (name == "llama-tiny") {
        config.architecture = Architecture::Llama;
        config.hiddenSize = 128;
        config.numLayers = 4;
        config.numHeads = 4;
        config.numKvHeads = 2;
        config.intermediateSize = 352;
        config.tieWordEmbeddings = false;
        config.attentionBias = false;
        config.normEps = 1e-6;
        return config;
    }
    if (name == "llama-small") {
        // The shape of the built-in lexicon base (resources/models): pretrained
        // from these random weights by `lorawb pretrain`, so HF's usual
        // initializer range.
        config.architecture = Architecture::Llama;
        config.hiddenSize = 256;
        config.numLayers = 6;
        config.numHeads = 8;
        config.numKvHeads = 4;
        config.intermediateSize = 704;
        config.tieWordEmbeddings = true;
        config.attentionBias = false;
        config.normEps = 1e-5;
        config.initializerRange = 0.02;
        return config;
    }
    std::string names;
    for (const auto &known : modelPresetNames())
        names += (names.empty() ? "" : ", ") + known;
    throw Error("model.preset", "unknown preset \"" + name + "\" (known: " + names + ")");
}

} // namespace lwb
