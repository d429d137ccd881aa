// UnicodeNormalizer: the "normalizer" of a tokenizer.json, for the forms the
// byte-level BPE tokenizers use: none (GPT-2, Llama-3) or NFC (Qwen2/3), and
// NFD/NFKC/NFKD, which cost nothing extra. A "Sequence" becomes several steps.
//
// Implemented with ICU's Normalizer2 (libicu-dev; Qt already depends on ICU);
// text already in the target form (the common case) is detected by a quick
// check and returned as is.
//
// Hugging Face tokenizers normalizes with Unicode 9.0's tables (its
// unicode-normalization-alignments crate, still so in tokenizers 0.23.3): a
// character assigned later has no decomposition and combining class 0 there,
// so it is never reordered or composed. ICU's normalizer is filtered to the
// characters of Unicode 9.0 ([:age=9.0:]) to give the same text; e.g. NFC of
// U+10EAB U+11046 (Unicode 13 and 4.1 marks, classes 230 and 9) stays as is.
#pragma once

#include <string>
#include <vector>

namespace lwb {

enum class UnicodeForm {
    Nfc,
    Nfd,
    Nfkc,
    Nfkd,
};

class UnicodeNormalizer
{
public:
    UnicodeNormalizer() = default;
    explicit UnicodeNormalizer(std::vector<UnicodeForm> steps);

    bool isIdentity() const { return steps_.empty(); }
    // `text` must be valid UTF-8.
    std::string normalize(const std::string &text) const;

private:
    std::vector<UnicodeForm> steps_;
};

} // namespace lwb
