// See peft_format.h. The defaults written are those of PEFT's LoraConfig
// dataclass; the rules for patterns and targets follow peft/tuners/lora.
#include "engine/export/peft_format.h"

#include "engine/core/error.h"
#include "engine/core/json_file.h"

#include <cmath>
#include <regex>

namespace lwb {

namespace {

bool endsWith(const std::string &text, const std::string &suffix)
{
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Every module-name pattern of a config goes through here. libstdc++'s regex
// compiler accumulates a number in a pattern (a \N back-reference, {m,n}
// bounds) in a long without an overflow check: undefined for 19 digits and
// more (found by tests/fuzz, fuzz_peft_config). No module-name pattern needs
// a number of more than 9 digits, so such a pattern is refused as invalid.
//
// A quantifier straight after another (".**", "a+{2}") is refused too, as
// Python's re refuses it ("multiple repeat") and so PEFT never matches with
// it; libstdc++ accepts it and backtracks exponentially (a hang found by
// fuzz_peft_config). A lazy "?" after a quantifier stays allowed.
void refuseMultipleRepeat(const std::string &pattern)
{
    bool inClass = false;
    bool afterQuantifier = false; // the previous token was a quantifier
    bool lazyTaken = false;       // ... and a lazy "?" followed it
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        if (c == '\\') {
            ++i; // the escaped character is a literal (or a class)
            afterQuantifier = false;
            continue;
        }
        if (inClass) {
            inClass = c != ']';
            continue;
        }
        const bool quantifier = c == '*' || c == '+' || c == '{' || c == '?';
        if (quantifier && afterQuantifier) {
            if (c == '?' && !lazyTaken) {
                lazyTaken = true;
                continue;
            }
            throw std::regex_error(std::regex_constants::error_badrepeat);
        }
        if (c == '{') {
            const auto close = pattern.find('}', i);
            if (close != std::string::npos)
                i = close;
        }
        afterQuantifier = quantifier;
        lazyTaken = false;
        inClass = c == '[';
    }
}

std::regex moduleRegex(const std::string &pattern)
{
    std::size_t digits = 0;
    for (const char c : pattern) {
        digits = (c >= '0' && c <= '9') ? digits + 1 : 0;
        if (digits > 9)
            throw std::regex_error(std::regex_constants::error_badbrace);
    }
    refuseMultipleRepeat(pattern);
    return std::regex(pattern);
}

// PEFT 0.21 (peft.utils.other.get_pattern_key) matches a pattern key with
// re.match(rf"(.*\.)?({key})$", module name): the whole name or a suffix
// after a '.'. (PEFT before 0.13 required the '.': .*\.{key}$; the exporter
// writes keys that match under both rules.)
template <typename Map>
const typename Map::value_type *matchingPattern(const Map &patterns, const std::string &modulePath)
{
    for (const auto &entry : patterns) {
        try {
            if (std::regex_match(modulePath, moduleRegex("(.*\\.)?(" + entry.first + ")")))
                return &entry;
        } catch (const std::regex_error &) {
            // A key that is no valid regex matches nothing (readPeftConfig reports it).
        }
    }
    return nullptr;
}

// An integral alpha is written as an integer, as Python writes lora_alpha=16.
nlohmann::json number(double value)
{
    if (std::floor(value) == value && std::fabs(value) < 1e15)
        return static_cast<std::int64_t>(value);
    return value;
}

// The checks of readPeftConfig; nlohmann's type errors are caught there.
PeftLoraConfig parsePeftConfig(nlohmann::json &json, const std::string &path)
{
    const auto at = [&](const std::string &key) { return path + ": " + key; };
    const auto isSet = [&](const char *key) { return json.contains(key) && !json[key].is_null(); };

    const auto peftType = json.value("peft_type", std::string());
    if (peftType != "LORA")
        throw Error(at("peft_type"), "\"" + peftType + "\" is not supported (only LORA)");
    PeftLoraConfig config;
    if (!json.contains("r") || !json["r"].is_number_integer() || json["r"].get<std::int64_t>() < 1)
        throw Error(at("r"), "must be a positive integer");
    config.r = json["r"].get<std::int64_t>();
    config.loraAlpha = isSet("lora_alpha") ? json["lora_alpha"].get<double>() : 8.0;
    config.loraDropout = isSet("lora_dropout") ? json["lora_dropout"].get<double>() : 0.0;
    config.fanInFanOut = json.value("fan_in_fan_out", false);
    config.useRslora = json.value("use_rslora", false);
    if (isSet("base_model_name_or_path"))
        config.baseModel = json["base_model_name_or_path"].get<std::string>();
    if (!isSet("target_modules"))
        throw Error(at("target_modules"), "missing (the workbench does not guess targets from a model type)");
    if (json["target_modules"].is_string())
        config.targetRegex = json["target_modules"].get<std::string>();
    else
        config.targetModules = json["target_modules"].get<std::vector<std::string>>();
    if (isSet("rank_pattern"))
        config.rankPattern = json["rank_pattern"].get<std::map<std::string, std::int64_t>>();
    if (isSet("alpha_pattern"))
        config.alphaPattern = json["alpha_pattern"].get<std::map<std::string, double>>();
    if (isSet("exclude_modules")) {
        if (json["exclude_modules"].is_string())
            config.excludeRegex = json["exclude_modules"].get<std::string>();
        else
            config.excludeModules = json["exclude_modules"].get<std::vector<std::string>>();
    }
    for (const auto &[key, regex] :
         {std::pair{"target_modules", config.targetRegex}, std::pair{"exclude_modules", config.excludeRegex}}) {
        try {
            moduleRegex(regex);
        } catch (const std::regex_error &) {
            throw Error(at(key), "\"" + regex + "\" is not a valid regular expression");
        }
    }
    if (json.value("use_dora", false))
        throw Error(at("use_dora"), "DoRA adapters are not supported (plain LoRA only)");
    if (json.value("bias", std::string("none")) != "none")
        throw Error(at("bias"), "trained biases are not supported (only \"none\")");
    if (json.value("lora_bias", false))
        throw Error(at("lora_bias"), "LoRA biases are not supported");
    for (const char *key : {"modules_to_save", "layers_to_transform", "layer_replication", "target_parameters",
                            "trainable_token_indices"}) {
        if (isSet(key) && !(json[key].is_array() && json[key].empty()))
            throw Error(at(key), "is set; the workbench imports plain LoRA adapters without it");
    }
    // PEFT 0.21's LoRA variants (LoraConfig fields with metadata is_lora_variant,
    // init_lora_weights "mica", QA-LoRA): the same lora_A/lora_B keys, another
    // computation, so reading them as plain LoRA would give other outputs.
    for (const char *key : {"alora_invocation_tokens", "arrow_config", "kasa_config", "monteclora_config", "use_bdlora",
                            "velora_config", "use_qalora"}) {
        if (isSet(key) && json[key] != false && !(json[key].is_object() && json[key].empty()))
            throw Error(at(key), "is set: a PEFT LoRA variant that computes other than plain LoRA (not supported)");
    }
    if (json.value("init_lora_weights", nlohmann::json(true)) == "mica")
        throw Error(at("init_lora_weights"), "\"mica\" is a PEFT LoRA variant that computes other than plain LoRA "
                                             "(not supported)");
    return config;
}

} // namespace

std::int64_t PeftLoraConfig::rankOf(const std::string &modulePath) const
{
    const auto *match = matchingPattern(rankPattern, modulePath);
    return match ? match->second : r;
}

double PeftLoraConfig::alphaOf(const std::string &modulePath) const
{
    const auto *match = matchingPattern(alphaPattern, modulePath);
    return match ? match->second : loraAlpha;
}

double PeftLoraConfig::scalingOf(const std::string &modulePath) const
{
    const auto rank = static_cast<double>(rankOf(modulePath));
    return useRslora ? alphaOf(modulePath) / std::sqrt(rank) : alphaOf(modulePath) / rank;
}

bool PeftLoraConfig::targets(const std::string &modulePath) const
{
    // PEFT 0.21 check_target_module_exists: exclude_modules first, same rules as targets.
    if (!excludeRegex.empty()) {
        try {
            if (std::regex_match(modulePath, moduleRegex(excludeRegex)))
                return false;
        } catch (const std::regex_error &) {
        }
    }
    for (const auto &excluded : excludeModules) {
        if (modulePath == excluded || endsWith(modulePath, "." + excluded))
            return false;
    }
    if (!targetRegex.empty()) {
        try {
            return std::regex_match(modulePath, moduleRegex(targetRegex));
        } catch (const std::regex_error &) {
            return false;
        }
    }
    for (const auto &target : targetModules) {
        if (modulePath == target || endsWith(modulePath, "." + target))
            return true;
    }
    return false;
}

nlohmann::json peftConfigJson(const PeftLoraConfig &config)
{
    nlohmann::json rankPattern = nlohmann::json::object();
    for (const auto &[key, value] : config.rankPattern)
        rankPattern[key] = value;
    nlohmann::json alphaPattern = nlohmann::json::object();
    for (const auto &[key, value] : config.alphaPattern)
        alphaPattern[key] = number(value);
    // nlohmann::json keeps object keys sorted, as json.dumps(sort_keys=True).
    return {
        {"alpha_pattern", alphaPattern},
        {"auto_mapping", nullptr},
        {"base_model_name_or_path", config.baseModel.empty() ? nlohmann::json() : nlohmann::json(config.baseModel)},
        {"bias", "none"},
        {"fan_in_fan_out", config.fanInFanOut},
        {"inference_mode", true},
        {"init_lora_weights", true},
        {"layer_replication", nullptr},
        {"layers_pattern", nullptr},
        {"layers_to_transform", nullptr},
        {"loftq_config", nlohmann::json::object()},
        {"lora_alpha", number(config.loraAlpha)},
        {"lora_dropout", config.loraDropout},
        {"megatron_config", nullptr},
        {"megatron_core", "megatron.core"},
        {"modules_to_save", nullptr},
        {"peft_type", "LORA"},
        {"r", config.r},
        {"rank_pattern", rankPattern},
        {"revision", nullptr},
        {"target_modules",
         config.targetRegex.empty() ? nlohmann::json(config.targetModules) : nlohmann::json(config.targetRegex)},
        {"task_type", "CAUSAL_LM"},
        {"use_dora", false},
        {"use_rslora", config.useRslora},
    };
}

PeftLoraConfig readPeftConfig(const std::string &folder)
{
    const auto path = folder + "/" + kPeftConfigFile;
    nlohmann::json json = readJsonFile(path, "cannot open (not a PEFT adapter folder?)");
    if (!json.is_object())
        throw Error(path, "must be a JSON object");
    try {
        return parsePeftConfig(json, path);
    } catch (const nlohmann::json::exception &e) {
        throw Error(path, std::string("a key has the wrong type: ") + e.what());
    }
}

std::string peftTensorKey(const std::string &modulePath, char matrix)
{
    return std::string(kPeftKeyPrefix) + modulePath + (matrix == 'A' ? ".lora_A.weight" : ".lora_B.weight");
}

std::optional<PeftKey> parsePeftTensorKey(const std::string &key)
{
    static const std::regex kPattern(R"(base_model\.model\.(.+)\.lora_([AB])(\.[A-Za-z0-9_-]+)?\.weight)");
    std::smatch match;
    if (!std::regex_match(key, match, kPattern))
        return std::nullopt;
    return PeftKey{match[1].str(), match[2].str()[0]};
}

} // namespace lwb
