// AddedVocabulary: leftmost-longest matching of added tokens (see the header).
#include "engine/tokenizer/added_vocabulary.h"

#include "engine/tokenizer/utf8.h"

#include <unicode/uchar.h>

#include <algorithm>

namespace lwb {

namespace {

bool isWordChar(char32_t c)
{
    return c == U'_' || u_isalnum(static_cast<UChar32>(c));
}

bool isSpace(char32_t c)
{
    return u_isUWhiteSpace(static_cast<UChar32>(c));
}

} // namespace

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
        const auto bucket = byFirstByte_.find(static_cast<unsigned char>(text[pos]));
        const AddedToken *found = nullptr;
        if (bucket != byFirstByte_.end()) {
            for (const std::size_t index : bucket->second) {
                const AddedToken &token = tokens_[index];
                if (text.compare(pos, token.content.size(), token.content) != 0)
                    continue;
                if (token.singleWord) {
                    std::size_t before = pos;
                    std::size_t after = pos + token.content.size();
                    if ((before > 0 && isWordChar(previousCodePoint(text, before)))
                        || (after < text.size() && isWordChar(nextCodePoint(text, after))))
                        continue;
                }
                found = &token;
                break;
            }
        }
        if (found == nullptr) {
            ++pos;
            continue;
        }
        std::size_t begin = pos;
        std::size_t end = pos + found->content.size();
        if (found->lstrip) {
            while (begin > textStart) {
                std::size_t cursor = begin;
                if (!isSpace(previousCodePoint(text, cursor)))
                    break;
                begin = cursor;
            }
        }
        if (found->rstrip) {
            while (end < text.size()) {
                std::size_t cursor = end;
                if (!isSpace(nextCodePoint(text, cursor)))
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
