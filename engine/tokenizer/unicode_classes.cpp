// Hugging Face's character classes over ICU (see unicode_classes.h).
#include "engine/tokenizer/unicode_classes.h"

#include "engine/tokenizer/utf8.h"

#include <unicode/uchar.h>
#include <unicode/ustring.h>

namespace lwb {

namespace {

// Whether Unicode 9.0 had assigned `c` (the tables of the crates behind
// Punctuation and StripAccents, see the header).
bool inUnicode9(UChar32 c)
{
    UVersionInfo age;
    u_charAge(c, age);
    return age[0] < 9 || (age[0] == 9 && age[1] == 0);
}

// Whether Unicode 8.0 had assigned `c`: the unicode_categories crate's
// tables, which BertNormalizer asks (measured: U+08E2 and U+1E000 of 9.0 are
// neither "other" nor marks to it).
bool inUnicode8(UChar32 c)
{
    UVersionInfo age;
    u_charAge(c, age);
    return age[0] < 8 || (age[0] == 8 && age[1] == 0);
}

} // namespace

bool isWhitespace(char32_t c)
{
    if (c < 0x80)
        return c == ' ' || (c >= '\t' && c <= '\r');
    return u_isUWhiteSpace(static_cast<UChar32>(c));
}

bool isWordChar(char32_t c)
{
    if (c < 0x80)
        return c == '_' || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
    const auto cp = static_cast<UChar32>(c);
    const std::int32_t category = u_charType(cp);
    return c == 0x200c || c == 0x200d || u_hasBinaryProperty(cp, UCHAR_ALPHABETIC) || category == U_NON_SPACING_MARK
           || category == U_COMBINING_SPACING_MARK || category == U_ENCLOSING_MARK || category == U_DECIMAL_DIGIT_NUMBER
           || category == U_CONNECTOR_PUNCTUATION;
}

bool isPunctuation(char32_t c)
{
    if (c < 0x80)
        return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~');
    return u_ispunct(static_cast<UChar32>(c)) && inUnicode9(static_cast<UChar32>(c));
}

bool isNumeric(char32_t c)
{
    if (c < 0x80)
        return c >= '0' && c <= '9';
    const std::int32_t category = u_charType(static_cast<UChar32>(c));
    return category == U_DECIMAL_DIGIT_NUMBER || category == U_LETTER_NUMBER || category == U_OTHER_NUMBER;
}

bool isCombiningMark(char32_t c)
{
    if (c < 0x300)
        return false;
    const std::int32_t category = u_charType(static_cast<UChar32>(c));
    return (category == U_NON_SPACING_MARK || category == U_COMBINING_SPACING_MARK || category == U_ENCLOSING_MARK)
           && inUnicode9(static_cast<UChar32>(c));
}

bool isNonspacingMarkInUnicode8(char32_t c)
{
    // Characters whose category changed after 8.0: U+1734 was Mn (Mc since
    // 14.0); U+1885, U+1886, U+A9BD and U+111C9 were not (Mn since 9.0, 9.0,
    // 12.0 and 11.0).
    if (c == 0x1734)
        return true;
    if (c == 0x1885 || c == 0x1886 || c == 0xA9BD || c == 0x111C9)
        return false;
    return c >= 0x300 && u_charType(static_cast<UChar32>(c)) == U_NON_SPACING_MARK
           && inUnicode8(static_cast<UChar32>(c));
}

bool isOtherInUnicode8(char32_t c)
{
    const std::int32_t category = u_charType(static_cast<UChar32>(c));
    return (category == U_CONTROL_CHAR || category == U_FORMAT_CHAR || category == U_PRIVATE_USE_CHAR)
           && inUnicode8(static_cast<UChar32>(c));
}

void appendLowercase(std::string &out, char32_t c)
{
    if (c < 0x80) {
        out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
        return;
    }
    // One character alone: ICU's full mapping then has no context to use
    // (final sigma needs a preceding letter), as Rust's char::to_lowercase.
    UChar source[2];
    std::int32_t sourceLength = 0;
    U16_APPEND_UNSAFE(source, sourceLength, static_cast<UChar32>(c));
    UChar lowered[8];
    UErrorCode status = U_ZERO_ERROR;
    const std::int32_t length = u_strToLower(lowered, 8, source, sourceLength, "", &status);
    if (U_FAILURE(status)) {
        appendUtf8(out, c);
        return;
    }
    for (std::int32_t i = 0; i < length;) {
        UChar32 cp = 0;
        U16_NEXT_UNSAFE(lowered, i, cp);
        appendUtf8(out, static_cast<char32_t>(cp));
    }
}

} // namespace lwb
