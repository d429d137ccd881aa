// BertNormalizer: the "BertNormalizer" normalizer of a tokenizer.json (BERT's
// own text cleaning), as the tokenizers crate's normalizers/bert.rs applies
// it, in this order (checked against tokenizers 0.23.3 over every code point
// below U+30000, tests/tokenizer_peer):
//   1. clean_text: drop U+0000, U+FFFD and the "other" characters of Unicode
//      8.0's tables (Cc, Cf, Co; unassigned ones stay, and so do \t \n \r),
//      then turn every White_Space character into " ";
//   2. handle_chinese_chars: put " " on both sides of each CJK ideograph (the
//      crate's ranges: U+4E00-9FFF, U+3400-4DBF, U+20000-2A6DF,
//      U+2A700-2B81F, U+2B920-2CEAF, U+F900-FAFF, U+2F800-2FA1F);
//   3. strip_accents (null: as lowercase): NFD (Unicode 9.0, as the other
//      normalizers), then drop the nonspacing marks (Mn) of Unicode 8.0;
//   4. lowercase: each character's full lowercase (unicode_classes.h).
#pragma once

#include "engine/tokenizer/unicode_normalizer.h"

#include <string>

namespace lwb {

struct BertNormalizerOptions
{
    bool cleanText = true;
    bool handleChineseChars = true;
    bool stripAccents = true; // already resolved from null (= lowercase)
    bool lowercase = true;
};

class BertNormalizer
{
public:
    BertNormalizer() = default;
    explicit BertNormalizer(const BertNormalizerOptions &options);

    // `text` must be valid UTF-8.
    std::string normalize(const std::string &text) const;

private:
    BertNormalizerOptions options_;
    UnicodeNormalizer nfd_;
};

} // namespace lwb
