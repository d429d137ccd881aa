// ResLoraConfig: the hyperparameters of ResLoRA's residual paths between the
// LoRA blocks of successive layers and of their merge into plain LoRA, the
// JSON object "adapter.reslora" (accepted only when adapter.variant is
// "reslora"). engine/adapters/README.md ("ResLoRA as implemented") gives the
// formulas each option selects.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace lwb {

class JsonReader;

struct ResLoraConfig
{
    std::string variant = "is";     // "is" input-shortcut, "bs" block-shortcut, "ms" middle-shortcut
    std::int64_t preNum = 1;        // m: earlier blocks a bs / ms block links to; -1 = all (is uses one)
    std::string merge = "bi";       // is / ms merge: "bi" by input norms, "bw" by merged-weight norms
    std::string msMerge = "paper";  // ms only: "paper" scales B A by (1 + alpha), "a_merge" folds the A's
    std::int64_t window = 100;      // training batches in the sliding window of input norms
};

// Reads "adapter.reslora"; the reader records problems with their JSON paths.
void parseResLoraConfig(JsonReader in, ResLoraConfig &reslora);

nlohmann::json toJson(const ResLoraConfig &reslora);

} // namespace lwb
