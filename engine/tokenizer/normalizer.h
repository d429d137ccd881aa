// Normalizer: the "normalizer" of a Hugging Face tokenizer.json, the text
// rewriting before added normalized tokens and pre-tokenization. A
// "Sequence" is read as its steps, applied in order.
//
// Steps (Hugging Face's definitions, checked against tokenizers 0.23.3):
// - NFC / NFD / NFKC / NFKD: unicode_normalizer.h (Unicode 9.0, as HF);
// - Prepend {prepend}: the string before non-empty text (Llama 2's "▁");
// - Replace {pattern String|Regex, content}: every non-overlapping match;
// - Lowercase: each character's full lowercase (unicode_classes.h);
// - Strip {strip_left, strip_right}: White_Space at either end;
// - StripAccents: drops the marks Unicode 9.0 knows (unicode_classes.h);
// - BertNormalizer {clean_text, handle_chinese_chars, strip_accents,
//   lowercase}: bert_normalizer.h.
// Hugging Face keeps an alignment to the original text; nothing here needs
// offsets, so the text alone is rewritten. One consequence is documented in
// bpe_tokenizer.h (Metaspace "first" after a normalizer that drops the
// leading characters).
#pragma once

#include "engine/tokenizer/bert_normalizer.h"
#include "engine/tokenizer/split_regex.h"
#include "engine/tokenizer/unicode_normalizer.h"

#include <memory>
#include <string>
#include <vector>

namespace lwb {

struct NormalizerStep
{
    enum class Kind {
        Unicode,
        Prepend,
        Replace,
        Lowercase,
        Strip,
        StripAccents,
        Bert,
    };
    Kind kind = Kind::Unicode;
    UnicodeForm form = UnicodeForm::Nfc; // Unicode
    std::string text;                    // Prepend: the prefix; Replace: the content
    std::string pattern;                 // Replace
    bool literal = true;                 // Replace: a String pattern
    bool left = true;                    // Strip
    bool right = true;                   // Strip
    BertNormalizerOptions bert;          // Bert
};

class Normalizer
{
public:
    Normalizer() = default;
    // Compiles Replace patterns; throws std::invalid_argument on a bad one.
    explicit Normalizer(std::vector<NormalizerStep> steps);

    bool isIdentity() const { return steps_.empty(); }
    // `text` must be valid UTF-8.
    std::string normalize(const std::string &text) const;

private:
    struct CompiledStep
    {
        NormalizerStep step;
        UnicodeNormalizer unicode;
        BertNormalizer bert;
        std::shared_ptr<const SplitRegex> regex;
    };

    std::vector<CompiledStep> steps_;
};

} // namespace lwb
