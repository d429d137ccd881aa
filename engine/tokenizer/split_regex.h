// SplitRegex: one compiled pre-tokenizer pattern (PCRE2) and its matches.
//
// Hugging Face compiles these patterns with Oniguruma; PCRE2 with PCRE2_UTF
// and PCRE2_UCP reads the same syntax the tokenizers use (\p{L}, \p{N},
// (?i:...), lookahead \s+(?!\S)) and gives the same matches; under UCP its \s
// is Unicode White_Space, like Oniguruma's (JavaScript's \s, used by the
// transformers.js peer, differs: it adds U+FEFF and drops U+0085). Character
// properties come from PCRE2's Unicode tables (14.0 in PCRE2 10.42), so
// letters added to Unicode later are not \p{L} here. \w is rewritten to
// Oniguruma's meaning (Alphabetic, marks, decimal digits, connectors and
// Latin-1's ² ³ ¹ ¼ ½ ¾; PCRE2 10.42's differs on marks and numbers). The pattern is
// JIT-compiled where PCRE2 supports it (falls back to the interpreter).
// Thread-safe: the compiled code is shared, match data is per call.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lwb {

class SplitRegex
{
public:
    // `literal` compiles the pattern as plain text (a Split "String" pattern).
    // Throws std::invalid_argument with PCRE2's message and offset on a bad
    // pattern; callers wrap it into an lwb::Error with the JSON path.
    SplitRegex(const std::string &pattern, bool literal);
    ~SplitRegex();
    SplitRegex(const SplitRegex &) = delete;
    SplitRegex &operator=(const SplitRegex &) = delete;

    // Non-overlapping, non-empty matches [begin, end) left to right, as
    // byte offsets. `text` must be valid UTF-8 (it is not checked again).
    std::vector<std::pair<std::size_t, std::size_t>> findAll(std::string_view text) const;

    bool usesJit() const { return jit_; }

private:
    struct Code;
    std::unique_ptr<Code> code_;
    bool jit_ = false;
};

} // namespace lwb
