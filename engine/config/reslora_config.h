// ResLoraConfig: the hyperparameters of ResLoRA's residual paths between the
// LoRA blocks of successive layers and of their merge into plain LoRA, the
// JSON object "adapter.reslora" (accepted only when adapter.variant is
// "reslora"). engine/adapters/README.md ("ResLoRA as implemented") gives the
// formulas each option selects and the official code they follow
// (microsoft/LMOps, reslora/).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace lwb {

class JsonReader;

struct ResLoraConfig
{
    std::string variant = "is"; // "is" input-shortcut, "bs" block-shortcut, "ms" middle-shortcut
    std::int64_t preNum = 1;    // m: earlier blocks a bs / ms block links to; -1 = all (is uses one)
    // is / ms merge, named as the official README names its merge_flag
    // values: "merge_bi" (merge_flag=3) or "merge_bw" (merge_flag=4); what
    // each computes for is and ms is in engine/adapters/README.md.
    std::string merge = "merge_bw";
    std::int64_t window = 100; // training batches in the sliding window of norms (the official merge_4_len)
    // bs only: "per_block" draws one dropout mask per linked block (the
    // official LoraBlock applies its own nn.Dropout), "shared" one for all.
    std::string bsDropout = "per_block";
    // Llama's up_proj / down_proj: "per_projection" (each its own chain, as
    // the official code's lists keyed by module name) or "up_down" (one
    // list in module order, the official "f" target group; only equal
    // shapes link).
    std::string mlpChain = "per_projection";
};

// Reads "adapter.reslora"; the reader records problems with their JSON paths.
void parseResLoraConfig(JsonReader in, ResLoraConfig &reslora);

nlohmann::json toJson(const ResLoraConfig &reslora);

} // namespace lwb
