// Tiny models of every decoder family the engine builds, for tests that need
// one quickly: GPT-2 and Llama are the built-in presets; the Llama-family
// variants are two-layer Llama presets with lively weights (initializer range
// 0.2) and each family's distinguishing switches set small enough to matter
// in a few tokens: Mistral's sliding window of 4, Qwen 3's q/k norms, Gemma 2's
// soft-capping (attention 2, final logits 3), sandwich norms and alternating
// windows, Phi-3's fused projections with partial rotary and a window of 5.
// test_causal_lm checks the family switches themselves; transformers'
// logits for the same families are tests/interop/check_models.py.
#pragma once

#include "engine/model/causal_lm.h"

#include <string>

namespace lwb::test {

// type: "gpt2", "llama", "mistral", "qwen3", "gemma2" or "phi3"; any other
// Llama-family model_type gets the two-layer Llama shape with no switches.
inline lwb::ModelConfig tinyModelConfig(const std::string &type)
{
    if (type == "gpt2" || type == "llama")
        return lwb::modelPreset(type + "-tiny");
    auto config = lwb::modelPreset("llama-tiny");
    config.preset = "";
    config.modelType = type;
    config.numLayers = 2;
    config.initializerRange = 0.2;
    if (type == "mistral") {
        config.slidingWindow = 4;
    } else if (type == "qwen3") {
        config.qkNorm = true;
        config.headDimension = 48;
    } else if (type == "gemma2") {
        config.headDimension = 16;
        config.hiddenActivation = "gelu_pytorch_tanh";
        config.normPlusOne = config.scaleEmbeddings = config.sandwichNorms = true;
        config.attentionSoftcap = 2.0;
        config.finalLogitSoftcap = 3.0;
        config.queryPreAttnScalar = 20.0;
        config.slidingWindow = 3;
        config.slidingLayers = {true, false};
    } else if (type == "phi3") {
        config.fusedProjections = true;
        config.partialRotaryFactor = 0.5;
        config.slidingWindow = 5;
    }
    return config;
}

} // namespace lwb::test
