// See jinja_lexer.h.
#include "engine/data/jinja/jinja_lexer.h"

#include "engine/data/jinja/jinja_syntax.h"
#include "engine/tokenizer/utf8.h"

#include <array>
#include <cctype>
#include <cstdint>

namespace lwb::jinja {

namespace {

bool isSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool isNameStart(char c)
{
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}

bool isNameChar(char c)
{
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

bool isDigit(char c)
{
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
}

class Lexer
{
public:
    explicit Lexer(const std::string &source)
        : source_(source)
    {
        // keep_trailing_newline=False, Jinja2's default.
        if (!source_.empty() && source_.back() == '\n')
            source_.pop_back();
    }

    std::vector<Token> run()
    {
        std::size_t textStart = 0;
        for (;;) {
            const auto tagStart = nextTag(textStart);
            if (tagStart == std::string::npos) {
                emitText(textStart, source_.size());
                break;
            }
            const char opener = source_[tagStart + 1];
            const char sign = tagStart + 2 < source_.size() ? source_[tagStart + 2] : '\0';
            auto textEnd = tagStart;
            std::string text = source_.substr(textStart, textEnd - textStart);
            if (sign == '-') {
                while (!text.empty() && isSpace(text.back()))
                    text.pop_back();
            } else if (opener != '{' && sign != '+') {
                // lstrip_blocks: only blanks between the line's start and the tag.
                auto lineStart = textEnd;
                while (lineStart > textStart && (source_[lineStart - 1] == ' ' || source_[lineStart - 1] == '\t'))
                    --lineStart;
                if (lineStart == 0 || source_[lineStart - 1] == '\n')
                    text.resize(lineStart - textStart);
            }
            if (!text.empty())
                tokens_.push_back({Token::Kind::Text, text, textStart});

            const std::size_t inner = tagStart + 2 + ((sign == '-' || sign == '+') ? 1 : 0);
            std::size_t after = 0;
            bool stripAfter = false;
            bool keepNewline = false;
            if (opener == '#') {
                const auto close = source_.find("#}", inner);
                if (close == std::string::npos)
                    throw TemplateError(tagStart, "unclosed comment: {# without #}");
                stripAfter = close > inner && source_[close - 1] == '-';
                keepNewline = close > inner && source_[close - 1] == '+';
                after = close + 2;
            } else {
                after = lexTag(tagStart, inner, opener == '{', stripAfter, keepNewline);
            }
            if (stripAfter) {
                while (after < source_.size() && isSpace(source_[after]))
                    ++after;
            } else if (opener != '{' && !keepNewline) {
                // trim_blocks: the first newline after a block or comment tag.
                if (source_.compare(after, 2, "\r\n") == 0)
                    after += 2;
                else if (after < source_.size() && source_[after] == '\n')
                    ++after;
            }
            textStart = after;
        }
        tokens_.push_back({Token::Kind::End, "", source_.size()});
        return std::move(tokens_);
    }

private:
    std::size_t nextTag(std::size_t from) const
    {
        for (auto at = source_.find('{', from); at != std::string::npos; at = source_.find('{', at + 1))
            if (at + 1 < source_.size() && (source_[at + 1] == '{' || source_[at + 1] == '%' || source_[at + 1] == '#'))
                return at;
        return std::string::npos;
    }

    void emitText(std::size_t from, std::size_t to)
    {
        if (to > from)
            tokens_.push_back({Token::Kind::Text, source_.substr(from, to - from), from});
    }

    // Lexes the inside of {{ }} or {% %}; returns the offset after the closer.
    std::size_t lexTag(std::size_t tagStart, std::size_t pos, bool variable, bool &stripAfter, bool &keepNewline)
    {
        tokens_.push_back({variable ? Token::Kind::VariableBegin : Token::Kind::BlockBegin, "", tagStart});
        const std::string closer = variable ? "}}" : "%}";
        std::string open; // brackets not yet closed, innermost last
        for (;;) {
            const bool depth0 = open.empty();
            while (pos < source_.size() && isSpace(source_[pos]))
                ++pos;
            if (pos >= source_.size())
                throw TemplateError(tagStart,
                                    std::string("unclosed tag: ") + (variable ? "{{ without }}" : "{% without %}"));
            const char c = source_[pos];
            if (depth0 && (c == '-' || c == '+') && source_.compare(pos + 1, 2, closer) == 0
                && (c == '-' || !variable)) {
                stripAfter = c == '-';
                keepNewline = c == '+';
                tokens_.push_back({variable ? Token::Kind::VariableEnd : Token::Kind::BlockEnd, "", pos});
                return pos + 3;
            }
            if (depth0 && source_.compare(pos, 2, closer) == 0) {
                tokens_.push_back({variable ? Token::Kind::VariableEnd : Token::Kind::BlockEnd, "", pos});
                return pos + 2;
            }
            if (c == '\'' || c == '"') {
                pos = lexString(pos);
            } else if (isDigit(c)) {
                auto end = pos;
                const auto digits = [&] {
                    while (end < source_.size() && isDigit(source_[end]))
                        ++end;
                };
                digits();
                bool isFloat = false;
                if (end + 1 < source_.size() && source_[end] == '.' && isDigit(source_[end + 1])) {
                    isFloat = true;
                    ++end;
                    digits();
                }
                // An exponent makes a float, with or without a fraction (1e3, 2.5E-4).
                if (end < source_.size() && (source_[end] == 'e' || source_[end] == 'E')) {
                    auto mantissa = end + 1;
                    if (mantissa < source_.size() && (source_[mantissa] == '+' || source_[mantissa] == '-'))
                        ++mantissa;
                    if (mantissa < source_.size() && isDigit(source_[mantissa])) {
                        isFloat = true;
                        end = mantissa;
                        digits();
                    }
                }
                tokens_.push_back(
                    {isFloat ? Token::Kind::Float : Token::Kind::Integer, source_.substr(pos, end - pos), pos});
                pos = end;
            } else if (isNameStart(c)) {
                auto end = pos;
                while (end < source_.size() && isNameChar(source_[end]))
                    ++end;
                tokens_.push_back({Token::Kind::Name, source_.substr(pos, end - pos), pos});
                pos = end;
            } else {
                static const std::array<const char *, 6> kTwoChar = {"//", "**", "==", "!=", "<=", ">="};
                std::string op;
                for (const auto *candidate : kTwoChar)
                    if (source_.compare(pos, 2, candidate) == 0)
                        op = candidate;
                if (op.empty()) {
                    if (std::string("()[]{}.,:|~+-*/%<>=").find(c) == std::string::npos)
                        throw TemplateError(pos, std::string("unexpected character '") + c + "' in a tag");
                    op = std::string(1, c);
                }
                if (op == "(" || op == "[" || op == "{") {
                    open += c;
                } else if (op == ")" || op == "]" || op == "}") {
                    const char expected = open.empty()         ? '\0'
                                          : open.back() == '(' ? ')'
                                          : open.back() == '[' ? ']'
                                                               : '}';
                    if (c != expected)
                        throw TemplateError(
                            pos, "unexpected '" + op + "'"
                                     + (expected ? std::string(", expected '") + expected + "'" : std::string()));
                    open.pop_back();
                }
                tokens_.push_back({Token::Kind::Operator, op, pos});
                pos += op.size();
            }
        }
    }

    std::size_t lexString(std::size_t start)
    {
        const char quote = source_[start];
        std::string value;
        for (auto pos = start + 1; pos < source_.size(); ++pos) {
            const char c = source_[pos];
            if (c == quote) {
                tokens_.push_back({Token::Kind::String, value, start});
                return pos + 1;
            }
            if (c != '\\' || pos + 1 >= source_.size()) {
                value += c;
                continue;
            }
            const char escaped = source_[++pos];
            switch (escaped) {
            case 'n':
                value += '\n';
                break;
            case 't':
                value += '\t';
                break;
            case 'r':
                value += '\r';
                break;
            case 'b':
                value += '\b';
                break;
            case 'f':
                value += '\f';
                break;
            case 'v':
                value += '\v';
                break;
            case '\\':
                value += '\\';
                break;
            case '\'':
                value += '\'';
                break;
            case '"':
                value += '"';
                break;
            case 'a':
                value += '\a';
                break;
            case '\n':
                break; // a backslash-newline continues the line
            case 'x':
            case 'u':
            case 'U':
                pos = lexCodePoint(pos, escaped == 'x' ? 2 : escaped == 'u' ? 4 : 8, value);
                break;
            case 'N':
                throw TemplateError(pos - 1, "\\N{...} escapes are not supported (write the character itself)");
            default:
                if (escaped >= '0' && escaped <= '7') {
                    // Octal: up to three digits, as Python reads them.
                    std::uint32_t codePoint = escaped - '0';
                    for (int i = 0;
                         i < 2 && pos + 1 < source_.size() && source_[pos + 1] >= '0' && source_[pos + 1] <= '7'; ++i)
                        codePoint = codePoint * 8 + (source_[++pos] - '0');
                    appendUtf8(value, static_cast<char32_t>(codePoint));
                    break;
                }
                // Python keeps unknown escapes as written.
                value += '\\';
                value += escaped;
            }
        }
        throw TemplateError(start, "unclosed string literal");
    }

    // \xhh, \uhhhh or \Uhhhhhhhh at source_[pos] (the letter): appends the
    // code point and returns the offset of its last hex digit.
    std::size_t lexCodePoint(std::size_t pos, int width, std::string &value) const
    {
        std::uint32_t codePoint = 0;
        for (int i = 1; i <= width; ++i) {
            const auto at = pos + static_cast<std::size_t>(i);
            if (at >= source_.size() || !std::isxdigit(static_cast<unsigned char>(source_[at])))
                throw TemplateError(pos - 1, "truncated \\" + std::string(1, source_[pos]) + " escape");
            codePoint = codePoint * 16 + static_cast<std::uint32_t>(std::stoul(source_.substr(at, 1), nullptr, 16));
        }
        if (codePoint > 0x10FFFF || (codePoint >= 0xD800 && codePoint <= 0xDFFF))
            throw TemplateError(pos - 1, "escape \\" + source_.substr(pos, width + 1) + " is not a character");
        appendUtf8(value, static_cast<char32_t>(codePoint));
        return pos + static_cast<std::size_t>(width);
    }

    std::string source_;
    std::vector<Token> tokens_;
};

} // namespace

std::vector<Token> tokenize(const std::string &source)
{
    return Lexer(source).run();
}

} // namespace lwb::jinja
