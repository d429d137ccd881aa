// trimWhitespace: a copy of `text` without leading and trailing ASCII
// spaces, tabs, carriage returns and newlines. The lexicon readers (WordNet
// and FreeDict lines) share it; Unicode spaces are left alone on purpose,
// the sources are ASCII-delimited and a non-breaking space inside a FreeDict
// headword is part of it.
#pragma once

#include <string>
#include <string_view>

namespace lwb {

inline std::string trimWhitespace(std::string_view text)
{
    constexpr std::string_view kWhitespace = " \t\r\n";
    const auto begin = text.find_first_not_of(kWhitespace);
    if (begin == std::string_view::npos)
        return {};
    const auto end = text.find_last_not_of(kWhitespace);
    return std::string(text.substr(begin, end - begin + 1));
}

} // namespace lwb
