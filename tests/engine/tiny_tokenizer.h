// A tiny byte-level BPE tokenizer.json for tests: the 256 byte symbols (ids
// 0..255, GPT-2's byte-to-unicode alphabet), then the merges given, each
// making the next id, and no added tokens (callers set "added_tokens").
#pragma once

#include "engine/tokenizer/byte_level.h"

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace lwb::test {

inline nlohmann::json tinyTokenizerJson(const std::vector<std::pair<std::string, std::string>> &merges)
{
    nlohmann::json vocab = nlohmann::json::object();
    const auto &alphabet = byteLevelAlphabet();
    for (int b = 0; b < 256; ++b)
        vocab[alphabet[b]] = b;
    nlohmann::json mergeList = nlohmann::json::array();
    std::int64_t next = 256;
    for (const auto &[left, right] : merges) {
        if (!vocab.contains(left + right))
            vocab[left + right] = next++;
        mergeList.push_back(left + " " + right);
    }
    return nlohmann::json{
        {"version", "1.0"},
        {"normalizer", nullptr},
        {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
        {"decoder", {{"type", "ByteLevel"}}},
        {"added_tokens", nlohmann::json::array()},
        {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", mergeList}}},
    };
}

} // namespace lwb::test
