// See jinja_strings.h.
#include "engine/data/jinja/jinja_strings.h"

#include "engine/data/jinja/jinja_syntax.h"

#include <cctype>

namespace lwb::jinja {

namespace {

[[noreturn]] void fail(const std::string &message)
{
    throw TemplateError(kNoOffset, message);
}

bool inSet(const std::string &point, const Value &chars)
{
    if (chars.isUndefined() || chars.isNone())
        return isPythonSpace(point);
    return requireString(chars, "strip's characters").find(point) != std::string::npos;
}

// Python's str.split(sep=None, maxsplit=-1).
Value split(const std::string &text, const Value &separator, std::int64_t maxSplit)
{
    List parts;
    if (separator.isUndefined() || separator.isNone()) {
        const auto points = codePoints(text);
        std::size_t i = 0;
        while (i < points.size()) {
            while (i < points.size() && isPythonSpace(points[i]))
                ++i;
            if (i == points.size())
                break;
            std::string word;
            if (maxSplit >= 0 && static_cast<std::int64_t>(parts.size()) == maxSplit) {
                for (; i < points.size(); ++i)
                    word += points[i];
                // The remainder keeps its inner blanks but not its trailing ones.
                parts.emplace_back(strip(word, Value(), false, true));
                break;
            }
            while (i < points.size() && !isPythonSpace(points[i]))
                word += points[i++];
            parts.emplace_back(std::move(word));
        }
        return Value(std::move(parts));
    }
    const auto sep = requireString(separator, "split's separator");
    if (sep.empty())
        fail("split: empty separator");
    std::size_t from = 0;
    for (;;) {
        const auto at = text.find(sep, from);
        if (at == std::string::npos || (maxSplit >= 0 && static_cast<std::int64_t>(parts.size()) == maxSplit)) {
            parts.emplace_back(text.substr(from));
            return Value(std::move(parts));
        }
        parts.emplace_back(text.substr(from, at - from));
        from = at + sep.size();
    }
}

bool affixMatches(const std::string &text, const Value &affix, bool atStart)
{
    if (affix.isList()) {
        for (const auto &item : affix.list())
            if (affixMatches(text, item, atStart))
                return true;
        return false;
    }
    const auto want = requireString(affix, atStart ? "startswith" : "endswith");
    if (want.size() > text.size())
        return false;
    return text.compare(atStart ? 0 : text.size() - want.size(), want.size(), want) == 0;
}

} // namespace

std::string asciiCase(std::string text, bool upper)
{
    for (auto &c : text)
        c = static_cast<char>(upper ? std::toupper(static_cast<unsigned char>(c))
                                    : std::tolower(static_cast<unsigned char>(c)));
    return text;
}

std::string capitalize(const std::string &text)
{
    auto lowered = asciiCase(text, false);
    if (!lowered.empty())
        lowered[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(lowered[0])));
    return lowered;
}

// Jinja's title filter: a capital after the start and after blanks, -, (, {, [ or <.
std::string title(const std::string &text)
{
    std::string out;
    bool wordStart = true;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        out += static_cast<char>(wordStart ? std::toupper(byte) : std::tolower(byte));
        wordStart = std::isspace(byte) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
    }
    return out;
}

// Python's str.strip / lstrip / rstrip.
std::string strip(const std::string &text, const Value &chars, bool left, bool right)
{
    const auto points = codePoints(text);
    std::size_t begin = 0, end = points.size();
    while (left && begin < end && inSet(points[begin], chars))
        ++begin;
    while (right && end > begin && inSet(points[end - 1], chars))
        --end;
    std::string out;
    for (auto i = begin; i < end; ++i)
        out += points[i];
    return out;
}

// Python's str.replace(old, new, count=-1).
std::string replace(const std::string &text, const std::string &old, const std::string &with, std::int64_t count)
{
    std::string out;
    if (old.empty()) { // Python puts `with` around every code point
        std::int64_t done = 0;
        for (const auto &point : codePoints(text)) {
            if (count < 0 || done++ < count)
                out += with;
            out += point;
        }
        if (count < 0 || done < count)
            out += with;
        return out;
    }
    std::size_t from = 0;
    for (std::int64_t done = 0; count < 0 || done < count; ++done) {
        const auto at = text.find(old, from);
        if (at == std::string::npos)
            break;
        out += text.substr(from, at - from) + with;
        from = at + old.size();
    }
    return out + text.substr(from);
}

std::optional<Value> callStringMethod(const std::string &text, const std::string &name, const Arguments &arguments)
{
    if (name == "strip" || name == "lstrip" || name == "rstrip")
        return Value(strip(text, arguments.get(0, "chars"), name != "rstrip", name != "lstrip"));
    if (name == "startswith" || name == "endswith")
        return Value(affixMatches(text, arguments.get(0, "prefix"), name == "startswith"));
    if (name == "split") {
        const auto maxSplit = arguments.get(1, "maxsplit", Value(std::int64_t(-1)));
        return split(text, arguments.get(0, "sep"), requireInt(maxSplit, "split's maxsplit"));
    }
    if (name == "upper" || name == "lower")
        return Value(asciiCase(text, name == "upper"));
    if (name == "title")
        return Value(title(text));
    if (name == "capitalize")
        return Value(capitalize(text));
    if (name == "replace") {
        const auto count = arguments.get(2, "count", Value(std::int64_t(-1)));
        return Value(replace(text, requireString(arguments.get(0, "old"), "replace"),
                             requireString(arguments.get(1, "new"), "replace"), requireInt(count, "replace's count")));
    }
    if (name == "find") {
        const auto at = text.find(requireString(arguments.get(0, "sub"), "find"));
        if (at == std::string::npos)
            return Value(std::int64_t(-1));
        return Value(static_cast<std::int64_t>(codePoints(text.substr(0, at)).size()));
    }
    if (name == "count") {
        const auto sub = requireString(arguments.get(0, "sub"), "count");
        if (sub.empty())
            return Value(static_cast<std::int64_t>(codePoints(text).size() + 1));
        std::int64_t found = 0;
        for (auto at = text.find(sub); at != std::string::npos; at = text.find(sub, at + sub.size()))
            ++found;
        return Value(found);
    }
    if (name == "join") {
        std::string out;
        bool first = true;
        for (const auto &item : iterate(arguments.get(0, "iterable"), "join")) {
            out += (first ? "" : text) + requireString(item, "str.join's items");
            first = false;
        }
        return Value(std::move(out));
    }
    return std::nullopt;
}

} // namespace lwb::jinja
