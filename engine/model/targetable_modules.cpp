// See targetable_modules.h. test_causal_lm checks these lists against the
// AdaptedLinear layers each built model registers.
#include "engine/model/targetable_modules.h"

namespace lwb {

std::vector<std::string> targetableModules(const ModelConfig &config)
{
    if (config.architecture == Architecture::Gpt2)
        return {"c_attn", "c_proj", "c_fc"};
    if (config.gptNeox())
        return {"query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"};
    if (config.fusedProjections)
        return {"qkv_proj", "o_proj", "gate_up_proj", "down_proj"};
    return {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
}

} // namespace lwb
