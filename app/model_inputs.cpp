// See model_inputs.h.
#include "app/model_inputs.h"

#include "engine/core/error.h"
#include "engine/export/peft_import.h"
#include "engine/model/base_model.h"
#include "engine/model/hf_checkpoint.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace lwb::cli {

void addModelOptions(CLI::App &command, ModelChoice &choice)
{
    command
        .add_option("--model", choice.model,
                    "a Hugging Face checkpoint folder (lorawb export --format base|merged), builtin:NAME or a "
                    "hub-cache folder")
        ->required()
        ->type_name("DIR");
    command.add_option("--adapter", choice.adapter, "a PEFT LoRA folder put on the model first")->type_name("DIR");
}

LoadedModel loadModel(const ModelChoice &choice)
{
    const auto folder = resolveModelPath(choice.model);
    LoadedModel loaded;
    loaded.model = loadHfCausalLM(folder);
    if (!choice.adapter.empty())
        importPeftAdapter(choice.adapter, *loaded.model);
    loaded.model->eval();
    loaded.format = SequenceFormat::forModelFolder(folder, loaded.model->config().vocabSize);
    return loaded;
}

std::string readWholeFile(const std::string &path)
{
    std::ifstream file(path, std::ios::binary);
    if (!file)
        throw Error(path, "cannot open");
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

std::vector<std::int64_t> readIdsFile(const std::string &path, std::int64_t vocabSize)
{
    nlohmann::json ids;
    try {
        ids = nlohmann::json::parse(readWholeFile(path));
    } catch (const nlohmann::json::parse_error &e) {
        throw Error(path, std::string("is not JSON: ") + e.what());
    }
    if (!ids.is_array() || ids.empty())
        throw Error(path, "must hold a non-empty JSON array of token ids");
    std::vector<std::int64_t> out;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const auto &id = ids[i];
        if (!id.is_number_integer() || id.get<std::int64_t>() < 0 || id.get<std::int64_t>() >= vocabSize)
            throw Error(path, "[" + std::to_string(i) + "] is " + id.dump() + ", not a token id from 0 to "
                                  + std::to_string(vocabSize - 1));
        out.push_back(id.get<std::int64_t>());
    }
    return out;
}

} // namespace lwb::cli
