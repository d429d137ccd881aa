// SplitRegex over PCRE2 (see split_regex.h).
#define PCRE2_CODE_UNIT_WIDTH 8
#include "engine/tokenizer/split_regex.h"

#include <pcre2.h>

#include <stdexcept>

namespace lwb {

struct SplitRegex::Code
{
    pcre2_code *code = nullptr;
    ~Code() { pcre2_code_free(code); }
};

namespace {

// Oniguruma's Unicode \w (what Hugging Face's patterns mean) is Alphabetic,
// marks, decimal digits and connector punctuation; alone (not inside
// brackets) it also takes Latin-1's ² ³ ¹ ¼ ½ ¾ (its table below U+0100), so
// that [^\w\s] and \w both match those six. Not the joiners U+200C/D.
// PCRE2 10.42's \w under UCP is letters, numbers and "_". So \w becomes
// Oniguruma's class (equal on every character Unicode 14 assigns, both
// forms, tokenizers 0.23.3, checked by experiment), and \W outside brackets
// its complement (\W inside brackets stays PCRE2's).
std::string withOnigurumaWord(const std::string &pattern)
{
    static const std::string kInClass = "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}";
    static const std::string kWord = kInClass + "\\x{B2}\\x{B3}\\x{B9}\\x{BC}-\\x{BE}";
    std::string out;
    out.reserve(pattern.size());
    bool inClass = false;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        if (c == '\\' && i + 1 < pattern.size()) {
            const char next = pattern[++i];
            if (next == 'w')
                out += inClass ? kInClass : "[" + kWord + "]";
            else if (next == 'W' && !inClass)
                out += "[^" + kWord + "]";
            else
                out.append({c, next});
            continue;
        }
        if (c == '[' && !inClass) {
            inClass = true;
            out += c;
            // A ']' right after '[' or '[^' is a literal.
            if (i + 1 < pattern.size() && pattern[i + 1] == '^')
                out += pattern[++i];
            if (i + 1 < pattern.size() && pattern[i + 1] == ']')
                out += pattern[++i];
            continue;
        }
        if (c == ']' && inClass)
            inClass = false;
        out += c;
    }
    return out;
}

} // namespace

SplitRegex::SplitRegex(const std::string &pattern, bool literal)
    : code_(std::make_unique<Code>())
{
    // PCRE2 refuses UCP together with LITERAL; a literal has no classes anyway.
    const uint32_t options = PCRE2_UTF | (literal ? PCRE2_LITERAL : PCRE2_UCP);
    int errorCode = 0;
    PCRE2_SIZE errorOffset = 0;
    const std::string compiled = literal ? pattern : withOnigurumaWord(pattern);
    code_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(compiled.data()), compiled.size(), options, &errorCode,
                                &errorOffset, nullptr);
    if (code_->code == nullptr) {
        PCRE2_UCHAR message[256];
        pcre2_get_error_message(errorCode, message, sizeof message);
        throw std::invalid_argument("regex does not compile at offset " + std::to_string(errorOffset) + ": "
                                    + reinterpret_cast<const char *>(message));
    }
    jit_ = pcre2_jit_compile(code_->code, PCRE2_JIT_COMPLETE) == 0;
}

SplitRegex::~SplitRegex() = default;

std::vector<std::pair<std::size_t, std::size_t>> SplitRegex::findAll(std::string_view text) const
{
    std::vector<std::pair<std::size_t, std::size_t>> matches;
    std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> data(
        pcre2_match_data_create_from_pattern(code_->code, nullptr), &pcre2_match_data_free);
    if (!data)
        throw std::bad_alloc();
    const auto *subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    std::size_t start = 0;
    while (start <= text.size()) {
        const int rc = pcre2_match(code_->code, subject, text.size(), start, PCRE2_NO_UTF_CHECK, data.get(), nullptr);
        if (rc == PCRE2_ERROR_NOMATCH)
            break;
        if (rc < 0) {
            PCRE2_UCHAR message[256];
            pcre2_get_error_message(rc, message, sizeof message);
            throw std::runtime_error(std::string("regex match failed: ") + reinterpret_cast<const char *>(message));
        }
        const PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(data.get());
        const std::size_t begin = ovector[0];
        const std::size_t end = ovector[1];
        if (end > begin) {
            matches.emplace_back(begin, end);
            start = end;
        } else {
            // Empty match: step over one whole UTF-8 character.
            start = begin + 1;
            while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xc0) == 0x80)
                ++start;
        }
    }
    return matches;
}

} // namespace lwb
