// See model_inspection.h. Nothing here builds the model: a 7B folder is
// inspected from its headers in well under a second.
#include "engine/model/model_inspection.h"

#include "engine/core/error.h"
#include "engine/core/json_file.h"
#include "engine/model/base_model.h"
#include "engine/model/targetable_modules.h"
#include "engine/tensor_io/dtype.h"
#include "engine/tensor_io/sharded_checkpoint.h"
#include "engine/tokenizer/bpe_tokenizer.h"
#include "engine/tokenizer/byte_tokenizer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>

namespace lwb {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// Stored tensors that are buffers, not parameters (hf_checkpoint.h ignores them).
bool isBuffer(const std::string &name)
{
    const auto endsWith = [&](const std::string &suffix) {
        return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    return endsWith(".attn.bias") || endsWith(".attn.masked_bias") || endsWith("rotary_emb.inv_freq");
}

std::string torchDtypeName(SafetensorsDtype dtype)
{
    switch (dtype) {
    case SafetensorsDtype::F32:
        return "float32";
    case SafetensorsDtype::F16:
        return "float16";
    case SafetensorsDtype::BF16:
        return "bfloat16";
    case SafetensorsDtype::F64:
        return "float64";
    default:
        return safetensorsDtypeName(dtype);
    }
}

// The tokenizer.json's kind, from its model and pre-tokenizer sections.
std::string tokenizerKindOf(const Json &root)
{
    const auto model = root.find("model");
    const std::string type
        = model != root.end() && model->is_object() ? model->value("type", std::string("BPE")) : std::string("BPE");
    if (type != "BPE")
        return type;
    if (model->value("byte_fallback", false))
        return "SentencePiece-style BPE (byte_fallback)";
    return "byte-level BPE";
}

std::string withThousands(std::int64_t value)
{
    auto digits = std::to_string(value);
    for (auto at = static_cast<std::ptrdiff_t>(digits.size()) - 3; at > 0; at -= 3)
        digits.insert(static_cast<std::size_t>(at), ",");
    return digits;
}

Json tokenJson(const std::optional<ResolvedSpecialToken> &token)
{
    if (!token)
        return nullptr;
    Json out{{"content", token->content}, {"origin", token->origin}};
    out["id"] = token->id ? Json(*token->id) : Json(nullptr);
    if (!token->problem.empty())
        out["problem"] = token->problem;
    return out;
}

} // namespace

std::string ModelInspection::dtypeSummary() const
{
    if (dtypes.empty())
        return "-";
    const auto main = std::max_element(dtypes.begin(), dtypes.end(),
                                       [](const auto &a, const auto &b) { return a.second < b.second; });
    std::string text = main->first;
    for (const auto &[name, count] : dtypes)
        if (name != main->first)
            text += " (+ " + name + ": " + withThousands(count) + " parameters)";
    return text;
}

ModelInspection inspectModel(const std::string &modelPath)
{
    ModelInspection out;
    out.requested = modelPath;
    out.folder = resolveModelPath(modelPath);
    const auto configPath = (fs::path(out.folder) / "config.json").string();
    const Json config = readJsonFile(configPath, "cannot open the model config");
    if (!config.is_object())
        throw Error(configPath, "the model config must hold a JSON object");
    out.modelType = config.value("model_type", std::string());
    const ModelConfig shape = checkpointModelConfig(out.folder); // lwb::Error for an unsupported model_type
    out.family = toString(shape.architecture);
    out.modelVocabSize = shape.vocabSize;
    out.maxPositions = shape.maxPositions;
    out.targetModules = targetableModules(shape);

    const ShardedCheckpoint checkpoint(out.folder);
    for (const auto &name : checkpoint.names()) {
        if (isBuffer(name))
            continue;
        const auto &info = checkpoint.info(name);
        std::int64_t count = 1;
        for (const auto dim : info.shape)
            count *= dim;
        out.parameters += count;
        out.dtypes[torchDtypeName(info.dtype)] += count;
    }

    const auto tokenizerPath = (fs::path(out.folder) / "tokenizer.json").string();
    if (fs::exists(tokenizerPath)) {
        const auto tokenizer = BpeTokenizer::fromFile(tokenizerPath);
        out.tokenizerFile = tokenizerPath;
        out.tokenizerKind = tokenizerKindOf(readJsonFile(tokenizerPath, "cannot open the tokenizer"));
        out.tokenizerVocabSize = tokenizer->vocabSize();
        out.prependsBos = tokenizer->prependsBos();
        out.specialTokens = tokenizer->specialTokens();
        out.hasChatTemplate = tokenizer->chatTemplate().has_value();
        out.chatTemplateOrigin = out.hasChatTemplate ? tokenizer->chatTemplateOrigin() : std::string();
    } else {
        out.tokenizerKind = "byte (built-in)";
        out.tokenizerVocabSize = ByteTokenizer::kVocabSize;
        out.prependsBos = true;
        const std::string origin = "the built-in byte tokenizer (no tokenizer.json in " + out.folder + ")";
        auto &tokens = out.specialTokens;
        tokens.folder = out.folder;
        tokens.tokenizerClass = "ByteTokenizer";
        tokens.tokenizerClassOrigin = origin;
        tokens.bos = ResolvedSpecialToken{"<|bos|>", origin, ByteTokenizer::kBos, {}};
        tokens.eos = ResolvedSpecialToken{"<|eos|>", origin, ByteTokenizer::kEos, {}};
        tokens.pad = ResolvedSpecialToken{"<|pad|>", origin, ByteTokenizer::kPad, {}};
        tokens.stopIds = {ByteTokenizer::kEos};
        tokens.stopIdsOrigin = origin;
        tokens.endTokenId = ByteTokenizer::kEos;
        tokens.endTokenOrigin = origin;
    }
    return out;
}

Json inspectionToJson(const ModelInspection &inspection)
{
    const auto &tokens = inspection.specialTokens;
    Json special{{"bos", tokenJson(tokens.bos)},
                 {"eos", tokenJson(tokens.eos)},
                 {"pad", tokenJson(tokens.pad)},
                 {"unk", tokenJson(tokens.unk)},
                 {"stop_ids", tokens.stopIds},
                 {"stop_ids_origin", tokens.stopIdsOrigin},
                 {"end_token_id", tokens.endTokenId ? Json(*tokens.endTokenId) : Json(nullptr)},
                 {"end_token_origin", tokens.endTokenOrigin},
                 {"add_bos_token", tokens.addBosToken ? Json(*tokens.addBosToken) : Json(nullptr)},
                 {"add_eos_token", tokens.addEosToken ? Json(*tokens.addEosToken) : Json(nullptr)}};
    return Json{{"model", inspection.requested},
                {"folder", inspection.folder},
                {"model_type", inspection.modelType},
                {"family", inspection.family},
                {"parameters", inspection.parameters},
                {"dtype", inspection.dtypeSummary()},
                {"dtypes", inspection.dtypes},
                {"vocab_size", inspection.modelVocabSize},
                {"max_positions", inspection.maxPositions},
                {"tokenizer",
                 {{"kind", inspection.tokenizerKind},
                  {"file", inspection.tokenizerFile},
                  {"vocab_size", inspection.tokenizerVocabSize},
                  {"class", tokens.tokenizerClass},
                  {"class_origin", tokens.tokenizerClassOrigin},
                  {"prepends_bos", inspection.prependsBos}}},
                {"special_tokens", special},
                {"chat_template", {{"present", inspection.hasChatTemplate}, {"origin", inspection.chatTemplateOrigin}}},
                {"target_modules", inspection.targetModules}};
}

} // namespace lwb
