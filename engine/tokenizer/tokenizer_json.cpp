// readTokenizerJson: tokenizer.json parsing with JSON-path errors.
#include "engine/tokenizer/tokenizer_json.h"

#include "engine/core/error.h"
#include "engine/tokenizer/tokenizer_json_components.h"
#include "engine/tokenizer/tokenizer_json_model.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <sys/stat.h>

namespace lwb {

namespace {

using namespace tokenizer_json;

Json readJsonFile(const std::string &path, const std::string &what)
{
    struct stat st = {};
    if (::stat(path.c_str(), &st) != 0)
        throw Error(path, what + " does not exist");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path, "cannot open the " + what);
    std::stringstream text;
    text << in.rdbuf();
    try {
        return Json::parse(text.str());
    } catch (const Json::exception &e) {
        throw Error(path, "the " + what + " is not valid JSON (" + e.what() + ")");
    }
}

void readAddedTokens(const Json &root, const JsonPath &at, std::vector<AddedToken> &out)
{
    const auto it = root.find("added_tokens");
    if (it == root.end() || it->is_null())
        return;
    if (!it->is_array())
        at.fail("expected an array");
    for (std::size_t i = 0; i < it->size(); ++i) {
        const Json &node = (*it)[i];
        const JsonPath here = at[i];
        if (!node.is_object())
            here.fail("expected an object");
        AddedToken token;
        const Json &id = member(node, "id", here);
        if (!id.is_number_integer() || id.get<std::int64_t>() < 0)
            (here / "id").fail("expected a non-negative integer");
        token.id = id.get<std::int64_t>();
        token.content = stringOf(member(node, "content", here), here / "content");
        if (token.content.empty())
            (here / "content").fail("an added token cannot be empty");
        token.special = boolOr(node, "special", false, here);
        token.singleWord = boolOr(node, "single_word", false, here);
        token.lstrip = boolOr(node, "lstrip", false, here);
        token.rstrip = boolOr(node, "rstrip", false, here);
        token.normalized = boolOr(node, "normalized", !token.special, here);
        out.push_back(std::move(token));
    }
}

// chat_template: a string, or a list of {"name", "template"} (take "default").
std::optional<std::string> chatTemplateOf(const Json &config, const JsonPath &at)
{
    const auto it = config.find("chat_template");
    if (it == config.end() || it->is_null())
        return std::nullopt;
    if (it->is_string())
        return it->get<std::string>();
    if (!it->is_array())
        (at / "chat_template").fail("expected a string or a list of {\"name\", \"template\"}");
    for (std::size_t i = 0; i < it->size(); ++i) {
        const Json &entry = (*it)[i];
        const JsonPath here = (at / "chat_template")[i];
        if (!entry.is_object())
            here.fail("expected an object with \"name\" and \"template\"");
        if (stringOf(member(entry, "name", here), here / "name") == "default")
            return stringOf(member(entry, "template", here), here / "template");
    }
    (at / "chat_template").fail("a list of templates without one named \"default\"");
}

// Whether the post-processor's template for a single sequence starts with
// the special token `bos` (TemplateProcessing, alone or in a Sequence).
bool templateStartsWith(const Json &processor, const std::string &bos)
{
    if (!processor.is_object())
        return false;
    const auto type = processor.find("type");
    if (type == processor.end() || !type->is_string())
        return false;
    if (*type == "Sequence") {
        const auto steps = processor.find("processors");
        if (steps == processor.end() || !steps->is_array())
            return false;
        return std::any_of(steps->begin(), steps->end(),
                           [&](const Json &step) { return templateStartsWith(step, bos); });
    }
    if (*type != "TemplateProcessing")
        return false;
    const auto single = processor.find("single");
    if (single == processor.end() || !single->is_array() || single->empty())
        return false;
    const Json &first = single->front();
    return first.is_object() && first.contains("SpecialToken") && first["SpecialToken"].is_object()
           && first["SpecialToken"].value("id", std::string()) == bos;
}

} // namespace

TokenizerJson readTokenizerJson(const std::string &path)
{
    TokenizerJson result;
    result.path = path;
    const Json root = readJsonFile(path, "tokenizer file");
    const JsonPath top(path, "");
    if (!root.is_object())
        top.fail("the tokenizer file must hold a JSON object");

    result.model = readModel(member(root, "model", top), top / "model");

    // Absent components are null, as tokenizers reads them.
    const auto component = [&](const char *key) -> const Json & {
        static const Json null;
        const auto it = root.find(key);
        return it == root.end() ? null : *it;
    };
    readNormalizer(component("normalizer"), top / "normalizer", result.normalizer);
    readPreTokenizer(component("pre_tokenizer"), top / "pre_tokenizer", result.preTokenizer);
    readDecoder(component("decoder"), top / "decoder", result.decoder);
    readPostProcessor(component("post_processor"), top / "post_processor", result.postProcessor);
    // The vocabulary is spelled in GPT-2's byte alphabet exactly when the
    // pre-tokenizer maps pieces into it. Only BPE undoes that alphabet at
    // load (bpe_model.h), so the other models cannot take such pieces.
    const bool byteLevel
        = std::any_of(result.preTokenizer.begin(), result.preTokenizer.end(),
                      [](const PreTokenizerStep &step) { return step.kind == PreTokenizerStep::Kind::ByteLevel; });
    if (auto *bpe = std::get_if<BpeModelConfig>(&result.model))
        bpe->byteLevel = byteLevel;
    else if (byteLevel)
        (top / "pre_tokenizer")
            .fail("a ByteLevel pre-tokenizer is supported with a BPE model only, not "
                  + std::string(std::holds_alternative<UnigramModelConfig>(result.model) ? "Unigram" : "WordPiece"));

    readAddedTokens(root, top / "added_tokens", result.addedTokens);

    const std::size_t slash = path.rfind('/');
    const std::string configPath
        = (slash == std::string::npos ? std::string() : path.substr(0, slash + 1)) + "tokenizer_config.json";
    struct stat st = {};
    if (::stat(configPath.c_str(), &st) == 0) {
        const Json config = readJsonFile(configPath, "tokenizer config");
        const JsonPath configTop(configPath, "");
        if (!config.is_object())
            configTop.fail("the tokenizer config must hold a JSON object");
        result.chatTemplate = chatTemplateOf(config, configTop);
        result.chatTemplateOrigin = configPath + ": chat_template";
    }
    const std::string jinjaPath
        = configPath.substr(0, configPath.size() - std::string("tokenizer_config.json").size()) + "chat_template.jinja";
    if (!result.chatTemplate && ::stat(jinjaPath.c_str(), &st) == 0) {
        std::ifstream file(jinjaPath, std::ios::binary);
        if (!file)
            throw Error(jinjaPath, "cannot open the chat template");
        std::stringstream text;
        text << file.rdbuf();
        result.chatTemplate = text.str();
        result.chatTemplateOrigin = jinjaPath;
    }
    // Special tokens as transformers resolves them (special_tokens.h).
    result.specialTokens
        = readSpecialTokenSettings(slash == std::string::npos ? std::string(".") : path.substr(0, slash), root);
    const auto contentOf = [](const std::optional<SpecialTokenChoice> &choice) {
        return choice ? std::optional<std::string>(choice->content) : std::nullopt;
    };
    result.bosToken = contentOf(result.specialTokens.bos);
    result.eosToken = contentOf(result.specialTokens.eos);
    result.padToken = contentOf(result.specialTokens.pad);
    result.addBosToken = result.specialTokens.addBosToken;
    // Without add_bos_token, the tokenizer's own template says (Llama-3 adds
    // <|begin_of_text|> there; GPT-2 and Qwen add nothing).
    if (!result.addBosToken) {
        const auto processor = root.find("post_processor");
        result.addBosToken
            = result.bosToken && processor != root.end() && templateStartsWith(*processor, *result.bosToken);
    }
    return result;
}

} // namespace lwb
