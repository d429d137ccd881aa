// See byte_tokenizer.h.
#include "engine/tokenizer/byte_tokenizer.h"

#include "engine/tokenizer/utf8.h"

namespace lwb {

namespace {

const char *specialName(std::int64_t id)
{
    switch (id) {
    case ByteTokenizer::kBos:
        return "<|bos|>";
    case ByteTokenizer::kEos:
        return "<|eos|>";
    case ByteTokenizer::kPad:
        return "<|pad|>";
    default:
        return nullptr;
    }
}

} // namespace

std::vector<std::int64_t> ByteTokenizer::encode(const std::string &text) const
{
    std::vector<std::int64_t> ids;
    ids.reserve(text.size());
    for (const unsigned char byte : text)
        ids.push_back(byte);
    return ids;
}

std::string ByteTokenizer::decode(const std::vector<std::int64_t> &ids, SpecialTokens special) const
{
    std::string bytes;
    bytes.reserve(ids.size());
    for (const auto id : ids) {
        if (id >= 0 && id < 256)
            bytes.push_back(static_cast<char>(id));
        else if (const char *name = specialName(id); name && special == SpecialTokens::Keep)
            bytes += name;
    }
    return repairUtf8(bytes);
}

std::optional<std::int64_t> ByteTokenizer::tokenToId(const std::string &token) const
{
    for (const auto id : {kBos, kEos, kPad}) {
        if (token == specialName(id))
            return id;
    }
    if (token.size() == 1)
        return static_cast<unsigned char>(token[0]);
    return std::nullopt;
}

} // namespace lwb
