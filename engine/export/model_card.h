// The README.md written beside every export: a Hugging Face model card
// (YAML front matter that the Hub reads, then Markdown) with how to load the
// export, the run's metrics and its complete config, so that an exported
// folder still says where it came from when it is shared on its own.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lwb {

struct ModelCardFacts
{
    std::string runName;
    std::int64_t runId = 0;                                   // 0 = not from the run store
    std::string variant;                                      // "lora", "sira", ...
    std::string format;                                       // "peft", "merged", "bundle"
    std::string baseModel;                                    // base_model_name_or_path, or the preset
    std::string configJson;                                   // the run's complete config
    std::int64_t step = 0;                                    // checkpoint step
    std::vector<std::pair<std::string, std::string>> metrics; // name -> value, as shown
    std::string howToLoad;                                    // Markdown: the code that loads this export
    std::vector<std::string> tags;
};

std::string modelCardMarkdown(const ModelCardFacts &facts);

} // namespace lwb
