// See byte_tokenizer.h.
#include "engine/tokenizer/byte_tokenizer.h"

namespace lwb {

std::vector<std::int64_t> ByteTokenizer::encode(const std::string &text) const
{
    std::vector<std::int64_t> ids;
    ids.reserve(text.size());
    for (const unsigned char byte : text)
        ids.push_back(byte);
    return ids;
}

std::string ByteTokenizer::decode(const std::vector<std::int64_t> &ids) const
{
    std::string text;
    text.reserve(ids.size());
    for (const auto id : ids) {
        if (id >= 0 && id < 256)
            text.push_back(static_cast<char>(id));
    }
    return text;
}

} // namespace lwb
