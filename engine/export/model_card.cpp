// See model_card.h.
#include "engine/export/model_card.h"

#include <nlohmann/json.hpp>

#include <sstream>

namespace lwb {

namespace {

// A YAML scalar in double quotes (JSON string syntax is valid YAML).
std::string yamlString(const std::string &text)
{
    return nlohmann::json(text).dump();
}

} // namespace

std::string modelCardMarkdown(const ModelCardFacts &facts)
{
    std::ostringstream card;
    card << "---\n";
    if (!facts.baseModel.empty())
        card << "base_model: " << yamlString(facts.baseModel) << "\n";
    if (facts.format == "peft")
        card << "library_name: peft\n";
    card << "tags:\n";
    for (const auto &tag : facts.tags)
        card << "- " << yamlString(tag) << "\n";
    card << "---\n\n";
    card << "# " << (facts.runName.empty() ? "LoRA Workbench export" : facts.runName) << "\n\n";
    card << "Exported by LoRA Workbench (`lorawb export`, format `" << facts.format << "`) from ";
    if (facts.runId > 0)
        card << "run " << facts.runId << " ";
    card << "(variant `" << facts.variant << "`, checkpoint at step " << facts.step << ").\n\n";
    if (!facts.baseModel.empty())
        card << "Base model: `" << facts.baseModel << "`.\n\n";
    if (!facts.howToLoad.empty())
        card << "## How to load\n\n" << facts.howToLoad << "\n";
    card << "## Metrics\n\n";
    if (facts.metrics.empty()) {
        card << "No metrics were recorded for this run.\n\n";
    } else {
        card << "| metric | value |\n| --- | --- |\n";
        for (const auto &[name, value] : facts.metrics)
            card << "| " << name << " | " << value << " |\n";
        card << "\n";
    }
    card << "## Run config\n\n```json\n";
    try {
        card << nlohmann::json::parse(facts.configJson).dump(2) << "\n";
    } catch (const nlohmann::json::exception &) {
        card << facts.configJson << "\n";
    }
    card << "```\n";
    return card.str();
}

} // namespace lwb
