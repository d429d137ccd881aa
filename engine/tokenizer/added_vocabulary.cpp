// AddedVocabulary: leftmost-longest matching of added tokens (see the header).
#include "engine/tokenizer/added_vocabulary.h"

#include "engine/tokenizer/unicode_classes.h"
#include "engine/tokenizer/utf8.h"

#include <algorithm>

namespace lwb {

AddedVocabulary::AddedVocabulary(std::vector<AddedToken> tokens)
    : tokens_(std::move(tokens))
{
    for (std::size_t i = 0; i < tokens_.size(); ++i) {
        if (!tokens_[i].content.empty())
            byFirstByte_[static_cast<unsigned char>(tokens_[i].content[0])].push_back(i);
    }
    for (auto &entry : byFirstByte_) {
        std::stable_sort(entry.second.begin(), entry.second.end(), [this](std::size_t a, std::size_t b) {
            return tokens_[a].content.size() > tokens_[b].content.size();
        });
    }
}

std::vector<AddedVocabulary::Segment> AddedVocabulary::split(const std::string &text) const
{
    std::vector<Segment> segments;
    std::size_t textStart = 0; // start of the pending plain text
    std::size_t pos = 0;
    while (pos < text.size()) {
        // The longest token here wins; a single_word token that is part of a
        // word is skipped whole, shorter tokens at the same place are not
        // tried (tokenizers' leftmost-longest Aho-Corasick does the same).
        const auto bucket = byFirstByte_.find(static_cast<unsigned char>(text[pos]));
        const AddedToken *found = nullptr;
        if (bucket != byFirstByte_.end()) {
            for (const std::size_t index : bucket->second) {
                if (text.compare(pos, tokens_[index].content.size(), tokens_[index].content) == 0) {
                    found = &tokens_[index];
                    break;
                }
            }
        }
        if (found == nullptr) {
            ++pos;
            continue;
        }
        if (found->singleWord) {
            std::size_t before = pos;
            std::size_t after = pos + found->content.size();
            if ((before > 0 && isWordChar(previousCodePoint(text, before)))
                || (after < text.size() && isWordChar(nextCodePoint(text, after)))) {
                pos += found->content.size();
                continue;
            }
        }
        std::size_t begin = pos;
        std::size_t end = pos + found->content.size();
        if (found->lstrip) {
            while (begin > textStart) {
                std::size_t cursor = begin;
                if (!isWhitespace(previousCodePoint(text, cursor)))
                    break;
                begin = cursor;
            }
        }
        if (found->rstrip) {
            while (end < text.size()) {
                std::size_t cursor = end;
                if (!isWhitespace(nextCodePoint(text, cursor)))
                    break;
                end = cursor;
            }
        }
        if (begin > textStart)
            segments.push_back({text.substr(textStart, begin - textStart), -1});
        segments.push_back({std::string(), found->id});
        textStart = end;
        pos = end;
    }
    if (textStart < text.size())
        segments.push_back({text.substr(textStart), -1});
    return segments;
}

} // namespace lwb
