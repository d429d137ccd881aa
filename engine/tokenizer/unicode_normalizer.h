// UnicodeNormalizer: the "normalizer" of a tokenizer.json, for the forms the
// byte-level BPE tokenizers use: none (GPT-2, Llama-3) or NFC (Qwen2/3), and
// NFD/NFKC/NFKD, which cost nothing extra. A "Sequence" becomes several steps.
//
// Implemented with ICU's Normalizer2 (libicu-dev; Qt already depends on ICU),
// which tracks the current Unicode version; text already in the target form
// (the common case) is detected by a quick check and returned as is.
#pragma once

#include <string>
#include <vector>

namespace lwb {

enum class UnicodeForm
{
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
