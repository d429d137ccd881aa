// See special_tokens.h. The tables below are facts read from transformers
// 5.25.0 (models/auto/tokenization_auto.py, each tokenizer class's __init__
// defaults, each config class's token ids); tests/interop/check_special_tokens.py
// compares the outcome with AutoTokenizer and GenerationConfig on real folders.
#include "engine/tokenizer/special_tokens.h"

#include "engine/core/error.h"
#include "engine/core/json_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <filesystem>
#include <map>

namespace lwb {

namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

constexpr const char *kGenericClass = "TokenizersBackend";
constexpr std::array<const char *, 4> kRoles = {"bos_token", "eos_token", "pad_token", "unk_token"};

// The defaults of a tokenizer class's __init__, in kRoles order (nullptr: none).
struct ClassDefaults
{
    const char *name;
    std::array<const char *, 4> tokens;
};

constexpr std::array<ClassDefaults, 6> kClassDefaults = {{
    {"GPT2Tokenizer", {"<|endoftext|>", "<|endoftext|>", nullptr, "<|endoftext|>"}},
    {"LlamaTokenizer", {"<s>", "</s>", nullptr, "<unk>"}},
    {"CodeLlamaTokenizer", {"<s>", "</s>", nullptr, "<unk>"}},
    {"Qwen2Tokenizer", {nullptr, "<|endoftext|>", "<|endoftext|>", "<|endoftext|>"}},
    {"GemmaTokenizer", {"<bos>", "<eos>", "<pad>", "<unk>"}},
    {"GPTNeoXTokenizer", {"<|endoftext|>", "<|endoftext|>", "<|padding|>", "<|endoftext|>"}},
}};

// TOKENIZER_MAPPING_NAMES for the model types the workbench loads or is
// likely to meet; "llama" is deliberately absent (transformers registers none).
const std::map<std::string, std::string> &registeredClasses()
{
    static const std::map<std::string, std::string> classes = {
        {"gpt2", "GPT2Tokenizer"},        {"phi", "GPT2Tokenizer"},     {"qwen2", "Qwen2Tokenizer"},
        {"qwen2_moe", "Qwen2Tokenizer"},  {"qwen3", "Qwen2Tokenizer"},  {"qwen3_moe", "Qwen2Tokenizer"},
        {"gemma", "GemmaTokenizer"},      {"gemma2", "GemmaTokenizer"}, {"gemma3_text", "GemmaTokenizer"},
        {"gpt_neox", "GPTNeoXTokenizer"}, {"mistral", kGenericClass},   {"mixtral", kGenericClass},
        {"phi3", kGenericClass},
    };
    return classes;
}

// MODELS_WITH_INCORRECT_HUB_TOKENIZER_CLASS: the registered class beats the
// one the hub files declare.
bool hubClassIsKnownWrong(const std::string &modelType)
{
    return modelType == "qwen2" || modelType == "phi3";
}

// The eos_token_id of a model type's config class when config.json has none.
std::optional<std::int64_t> configDefaultEos(const std::string &modelType)
{
    static const std::map<std::string, std::int64_t> defaults = {
        {"gpt2", 50256}, {"llama", 2},  {"mistral", 2},     {"mixtral", 2},  {"phi", 2},
        {"gemma", 1},    {"gemma2", 1}, {"gemma3_text", 1}, {"phi3", 32000}, {"gpt_neox", 2},
    };
    const auto found = defaults.find(modelType);
    return found == defaults.end() ? std::nullopt : std::optional<std::int64_t>(found->second);
}

std::string withoutFast(std::string name)
{
    if (name.size() > 4 && name.compare(name.size() - 4, 4, "Fast") == 0)
        name.resize(name.size() - 4);
    return name == "PreTrainedTokenizer" ? kGenericClass : name;
}

bool isGeneric(const std::string &name)
{
    return name == kGenericClass || name == "PythonBackend" || name == "MistralCommonBackend";
}

// A JSON file of the folder, or null when the folder has none.
Json optionalJson(const fs::path &file, const char *what)
{
    if (!fs::exists(file))
        return nullptr;
    Json value = readJsonFile(file.string(), std::string("cannot read the ") + what);
    if (!value.is_object())
        throw Error(file.string(), std::string("the ") + what + " must hold a JSON object");
    return value;
}

std::string stringMember(const Json &object, const char *key, const std::string &file)
{
    const auto found = object.find(key);
    if (found == object.end() || found->is_null())
        return {};
    if (!found->is_string())
        throw Error(file + ": " + key, std::string("expected a string, found ") + found->type_name());
    return found->get<std::string>();
}

// A token value: a string, an AddedToken object ({"content": ...}), or null.
std::optional<std::string> tokenValue(const Json &value, const std::string &where)
{
    if (value.is_null())
        return std::nullopt;
    if (value.is_string())
        return value.get<std::string>();
    if (value.is_object()) {
        const auto content = value.find("content");
        if (content != value.end() && content->is_string())
            return content->get<std::string>();
        throw Error(where + ".content", "an AddedToken object needs a \"content\" string");
    }
    throw Error(where, std::string("expected a string or an AddedToken object, found ") + value.type_name());
}

std::optional<bool> flagOf(const Json &config, const char *key, const std::string &file)
{
    const auto found = config.find(key);
    if (found == config.end() || found->is_null())
        return std::nullopt;
    if (!found->is_boolean())
        throw Error(file + ": " + key, "expected true or false");
    return found->get<bool>();
}

// Whether a "type": "ByteLevel" step appears anywhere in the tokenizer.json
// (transformers searches the file for the text "ByteLevel").
bool mentionsByteLevel(const Json &node)
{
    if (node.is_object()) {
        const auto type = node.find("type");
        if (type != node.end() && type->is_string() && *type == "ByteLevel")
            return true;
        return std::any_of(node.begin(), node.end(), [](const Json &child) { return mentionsByteLevel(child); });
    }
    if (node.is_array())
        return std::any_of(node.begin(), node.end(), [](const Json &child) { return mentionsByteLevel(child); });
    return false;
}

bool tokenizerJsonIsByteLevel(const Json &root)
{
    if (!root.is_object())
        return false;
    for (const char *key : {"pre_tokenizer", "decoder", "post_processor"}) {
        const auto found = root.find(key);
        if (found != root.end() && mentionsByteLevel(*found))
            return true;
    }
    return false;
}

// The class AutoTokenizer instantiates (transformers 5.25,
// AutoTokenizer.from_pretrained), and why.
void chooseTokenizerClass(SpecialTokenSettings &out, const Json &tokenizerConfig, const Json &modelConfig,
                          const std::string &tokenizerConfigFile, const std::string &modelConfigFile, bool byteLevel)
{
    std::string declared;
    std::string declaredOrigin;
    if (tokenizerConfig.is_object())
        declared = stringMember(tokenizerConfig, "tokenizer_class", tokenizerConfigFile);
    if (!declared.empty()) {
        declaredOrigin = tokenizerConfigFile + ": tokenizer_class";
    } else if (modelConfig.is_object()) {
        declared = stringMember(modelConfig, "tokenizer_class", modelConfigFile);
        declaredOrigin = modelConfigFile + ": tokenizer_class";
    }
    declared = withoutFast(declared);
    const std::string modelType
        = modelConfig.is_object() ? stringMember(modelConfig, "model_type", modelConfigFile) : std::string();
    const auto registered = registeredClasses().find(modelType);
    const std::string modelTypeOrigin = modelConfigFile + ": model_type \"" + modelType + "\"";

    if (declared == "LlamaTokenizer" && !hubClassIsKnownWrong(modelType) && byteLevel) {
        out.tokenizerClass = kGenericClass;
        out.tokenizerClassOrigin = declaredOrigin + " names LlamaTokenizer, but tokenizer.json is ByteLevel";
        return;
    }
    if (!declared.empty() && registered != registeredClasses().end() && registered->second != declared) {
        if (isGeneric(registered->second)) {
            out.tokenizerClass = kGenericClass;
            out.tokenizerClassOrigin = modelTypeOrigin + " (its registered class overrides " + declaredOrigin + ")";
        } else if (hubClassIsKnownWrong(modelType)) {
            out.tokenizerClass = registered->second;
            out.tokenizerClassOrigin = modelTypeOrigin + " (its registered class overrides " + declaredOrigin + ")";
        } else {
            out.tokenizerClass = declared;
            out.tokenizerClassOrigin = declaredOrigin;
        }
        return;
    }
    if (!declared.empty()) {
        out.tokenizerClass = declared;
        out.tokenizerClassOrigin = declaredOrigin;
    } else if (registered != registeredClasses().end()) {
        out.tokenizerClass = registered->second;
        out.tokenizerClassOrigin = modelTypeOrigin;
    } else {
        out.tokenizerClass = kGenericClass;
        out.tokenizerClassOrigin = "no tokenizer_class named, none registered for the model type";
    }
}

std::optional<SpecialTokenChoice> &slotOf(SpecialTokenSettings &settings, std::size_t role)
{
    switch (role) {
    case 0:
        return settings.bos;
    case 1:
        return settings.eos;
    case 2:
        return settings.pad;
    default:
        return settings.unk;
    }
}

// Applies one file's token keys over what came before: a present key wins,
// null included.
void applyTokenKeys(SpecialTokenSettings &settings, const Json &file, const std::string &path)
{
    for (std::size_t role = 0; role < kRoles.size(); ++role) {
        const auto found = file.find(kRoles[role]);
        if (found == file.end())
            continue;
        const auto value = tokenValue(*found, path + ": " + kRoles[role]);
        auto &slot = slotOf(settings, role);
        if (value)
            slot = SpecialTokenChoice{*value, path + ": " + kRoles[role]};
        else
            slot.reset();
    }
}

// eos_token_id: an int, a list of ints, or null.
std::vector<std::int64_t> idsOf(const Json &value, const std::string &where)
{
    std::vector<std::int64_t> ids;
    if (value.is_number_integer()) {
        ids.push_back(value.get<std::int64_t>());
    } else if (value.is_array()) {
        for (std::size_t i = 0; i < value.size(); ++i) {
            if (!value[i].is_number_integer() || value[i].get<std::int64_t>() < 0)
                throw Error(where + "[" + std::to_string(i) + "]", "expected a token id (a whole number from 0)");
            ids.push_back(value[i].get<std::int64_t>());
        }
    } else if (!value.is_null()) {
        throw Error(where, "expected a token id or a list of token ids");
    }
    if (!ids.empty() && ids.front() < 0)
        throw Error(where, "expected a token id (a whole number from 0)");
    return ids;
}

void chooseStopIds(SpecialTokenSettings &out, const Json &generationConfig, const Json &modelConfig,
                   const std::string &generationFile, const std::string &modelConfigFile)
{
    // transformers loads generation_config.json when it exists, else derives
    // one from config.json (GenerationConfig.from_model_config).
    if (generationConfig.is_object()) {
        const auto found = generationConfig.find("eos_token_id");
        if (found != generationConfig.end()) {
            out.stopIds = idsOf(*found, generationFile + ": eos_token_id");
            out.stopIdsOrigin = generationFile + ": eos_token_id";
        }
        return;
    }
    if (!modelConfig.is_object())
        return;
    const auto found = modelConfig.find("eos_token_id");
    if (found != modelConfig.end()) {
        out.stopIds = idsOf(*found, modelConfigFile + ": eos_token_id");
        out.stopIdsOrigin = modelConfigFile + ": eos_token_id";
        return;
    }
    const auto modelType = stringMember(modelConfig, "model_type", modelConfigFile);
    if (const auto fallback = configDefaultEos(modelType)) {
        out.stopIds = {*fallback};
        out.stopIdsOrigin = "the default eos_token_id of model_type \"" + modelType + "\" (" + modelConfigFile + ")";
    }
}

} // namespace

SpecialTokenSettings readSpecialTokenSettings(const std::string &folder, const nlohmann::json &tokenizerJson)
{
    SpecialTokenSettings out;
    out.folder = folder;
    const fs::path dir(folder);
    const auto tokenizerConfigFile = (dir / "tokenizer_config.json").string();
    const auto tokensMapFile = (dir / "special_tokens_map.json").string();
    const auto modelConfigFile = (dir / "config.json").string();
    const auto generationFile = (dir / "generation_config.json").string();
    const Json tokenizerConfig = optionalJson(tokenizerConfigFile, "tokenizer config");
    const Json tokensMap = optionalJson(tokensMapFile, "special tokens map");
    const Json modelConfig = optionalJson(modelConfigFile, "model config");
    const Json generationConfig = optionalJson(generationFile, "generation config");

    chooseTokenizerClass(out, tokenizerConfig, modelConfig, tokenizerConfigFile, modelConfigFile,
                         tokenizerJsonIsByteLevel(tokenizerJson));
    for (const auto &defaults : kClassDefaults) {
        if (out.tokenizerClass != defaults.name)
            continue;
        for (std::size_t role = 0; role < kRoles.size(); ++role)
            if (defaults.tokens[role])
                slotOf(out, role)
                    = SpecialTokenChoice{defaults.tokens[role], out.tokenizerClass + "'s default (class from "
                                                                    + out.tokenizerClassOrigin + ")"};
    }
    if (tokenizerConfig.is_object()) {
        applyTokenKeys(out, tokenizerConfig, tokenizerConfigFile);
        out.addBosToken = flagOf(tokenizerConfig, "add_bos_token", tokenizerConfigFile);
        out.addEosToken = flagOf(tokenizerConfig, "add_eos_token", tokenizerConfigFile);
    }
    if (tokensMap.is_object() && !(tokenizerConfig.is_object() && tokenizerConfig.contains("added_tokens_decoder")))
        applyTokenKeys(out, tokensMap, tokensMapFile);
    chooseStopIds(out, generationConfig, modelConfig, generationFile, modelConfigFile);
    return out;
}

ResolvedSpecialTokens
resolveSpecialTokenIds(const SpecialTokenSettings &settings,
                       const std::function<std::optional<std::int64_t>(const std::string &)> &idOf)
{
    ResolvedSpecialTokens out;
    out.folder = settings.folder;
    out.tokenizerClass = settings.tokenizerClass;
    out.tokenizerClassOrigin = settings.tokenizerClassOrigin;
    out.addBosToken = settings.addBosToken;
    out.addEosToken = settings.addEosToken;
    const auto resolve = [&](const std::optional<SpecialTokenChoice> &choice) -> std::optional<ResolvedSpecialToken> {
        if (!choice)
            return std::nullopt;
        ResolvedSpecialToken token{choice->content, choice->origin, idOf(choice->content), {}};
        if (!token.id)
            token.problem = "\"" + choice->content + "\" (" + choice->origin + ") is not a token of this tokenizer";
        return token;
    };
    out.bos = resolve(settings.bos);
    out.eos = resolve(settings.eos);
    out.pad = resolve(settings.pad);
    out.unk = resolve(settings.unk);

    if (out.eos && out.eos->id) {
        out.endTokenId = out.eos->id;
        out.endTokenOrigin = out.eos->origin;
    } else if (!out.eos && !settings.stopIds.empty()) {
        out.endTokenId = settings.stopIds.front();
        out.endTokenOrigin = settings.stopIdsOrigin;
    }
    out.stopIds = settings.stopIds;
    out.stopIdsOrigin = settings.stopIdsOrigin;
    if (out.stopIds.empty() && out.endTokenId) {
        out.stopIds = {*out.endTokenId};
        out.stopIdsOrigin = out.endTokenOrigin;
    }
    return out;
}

std::string ResolvedSpecialTokens::missingEndTokenMessage() const
{
    if (endTokenId)
        return {};
    const auto config = (fs::path(folder) / "tokenizer_config.json").string();
    if (eos && !eos->problem.empty())
        return "the eos_token " + eos->problem + "; name one of its tokens as \"eos_token\" in " + config;
    return "the tokenizer names no eos_token, and no config.json / generation_config.json eos_token_id: answers need "
           "an end token for training; add \"eos_token\": \"<its end token>\" to "
           + config;
}

} // namespace lwb
