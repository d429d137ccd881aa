// Reading tokenizer.json's "model" (see tokenizer_json_model.h).
#include "engine/tokenizer/tokenizer_json_model.h"

#include "engine/tokenizer/serde_json_float.h"

namespace lwb::tokenizer_json {

namespace {

// null and "" both mean none (GPT-2's file writes "").
std::string stringOrEmpty(const Json &node, const char *key, const JsonPath &at)
{
    const auto it = node.find(key);
    return it == node.end() || it->is_null() ? std::string() : stringOf(*it, at / key);
}

// {"token": id, ...}, as BPE and WordPiece write their vocabulary.
std::vector<std::pair<std::string, std::int64_t>> tokenIds(const Json &node, const JsonPath &at)
{
    const Json &vocab = member(node, "vocab", at);
    if (!vocab.is_object())
        (at / "vocab").fail("expected an object of token: id");
    std::vector<std::pair<std::string, std::int64_t>> out;
    out.reserve(vocab.size());
    for (const auto &[token, id] : vocab.items()) {
        if (!id.is_number_integer())
            (at / "vocab" / token).fail("expected an integer id");
        out.emplace_back(token, id.get<std::int64_t>());
    }
    return out;
}

BpeModelConfig readBpe(const Json &node, const JsonPath &at)
{
    BpeModelConfig model;
    const auto dropout = node.find("dropout");
    if (dropout != node.end() && !dropout->is_null() && !(dropout->is_number() && dropout->get<double>() == 0.0))
        (at / "dropout").fail("BPE dropout is not supported (it makes encoding random); set it to null");
    model.continuingSubwordPrefix = stringOrEmpty(node, "continuing_subword_prefix", at);
    model.endOfWordSuffix = stringOrEmpty(node, "end_of_word_suffix", at);
    model.byteFallback = boolOr(node, "byte_fallback", false, at);
    model.ignoreMerges = boolOr(node, "ignore_merges", false, at);
    model.fuseUnk = boolOr(node, "fuse_unk", false, at);
    const auto unk = node.find("unk_token");
    if (unk != node.end() && !unk->is_null())
        model.unkToken = stringOf(*unk, at / "unk_token");
    model.vocab = tokenIds(node, at);

    const Json &merges = member(node, "merges", at);
    if (!merges.is_array())
        (at / "merges").fail("expected an array");
    model.merges.reserve(merges.size());
    for (std::size_t i = 0; i < merges.size(); ++i) {
        const Json &merge = merges[i];
        const JsonPath here = (at / "merges")[i];
        if (merge.is_string()) {
            const std::string text = merge.get<std::string>();
            const std::size_t space = text.find(' ');
            if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos || space == 0
                || space + 1 == text.size())
                here.fail("expected \"left right\" with exactly one space, found \"" + text + "\"");
            model.merges.emplace_back(text.substr(0, space), text.substr(space + 1));
        } else if (merge.is_array() && merge.size() == 2) {
            model.merges.emplace_back(stringOf(merge[0], here[0]), stringOf(merge[1], here[1]));
        } else {
            here.fail("expected \"left right\" or [\"left\", \"right\"]");
        }
    }
    return model;
}

UnigramModelConfig readUnigram(const Json &node, const JsonPath &at)
{
    UnigramModelConfig model;
    const auto unk = node.find("unk_id");
    if (unk != node.end() && !unk->is_null()) {
        if (!unk->is_number_integer() || unk->get<std::int64_t>() < 0)
            (at / "unk_id").fail("expected a non-negative integer or null, found " + unk->dump());
        model.unkId = unk->get<std::int64_t>();
    }
    model.byteFallback = boolOr(node, "byte_fallback", false, at);
    const Json &vocab = member(node, "vocab", at);
    if (!vocab.is_array())
        (at / "vocab").fail("expected an array of [piece, score]");
    model.vocab.reserve(vocab.size());
    for (std::size_t i = 0; i < vocab.size(); ++i) {
        const Json &entry = vocab[i];
        const JsonPath here = (at / "vocab")[i];
        if (!entry.is_array() || entry.size() != 2)
            here.fail("expected [piece, score], found " + entry.dump());
        if (!entry[1].is_number())
            here[1].fail("expected a number (the piece's log-probability), found " + entry[1].dump());
        // The crate's reading of the score, not strtod's (serde_json_float.h).
        model.vocab.emplace_back(stringOf(entry[0], here[0]), serdeJsonFloat(entry[1].get<double>()));
    }
    return model;
}

WordPieceModelConfig readWordPiece(const Json &node, const JsonPath &at)
{
    WordPieceModelConfig model;
    const auto stringOr = [&](const char *key, const std::string &fallback) {
        const auto it = node.find(key);
        return it == node.end() || it->is_null() ? fallback : stringOf(*it, at / key);
    };
    model.unkToken = stringOr("unk_token", model.unkToken);
    model.continuingSubwordPrefix = stringOr("continuing_subword_prefix", model.continuingSubwordPrefix);
    model.maxInputCharsPerWord = countOr(node, "max_input_chars_per_word", model.maxInputCharsPerWord, at);
    model.vocab = tokenIds(node, at);
    return model;
}

} // namespace

ModelConfig readModel(const Json &node, const JsonPath &at)
{
    if (!node.is_object())
        at.fail("expected an object");
    const auto typeIt = node.find("type");
    const std::string type = typeIt == node.end() ? std::string("BPE") : stringOf(*typeIt, at / "type");
    if (type == "BPE")
        return readBpe(node, at);
    if (type == "Unigram")
        return readUnigram(node, at);
    if (type == "WordPiece")
        return readWordPiece(node, at);
    unsupported(type, at, "BPE, Unigram, WordPiece");
}

} // namespace lwb::tokenizer_json
