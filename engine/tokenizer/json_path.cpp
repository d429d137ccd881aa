// JsonPath and the typed readers (see json_path.h).
#include "engine/tokenizer/json_path.h"

#include "engine/core/error.h"
#include "engine/tokenizer/utf8.h"

namespace lwb::tokenizer_json {

void JsonPath::fail(const std::string &reason) const
{
    throw Error(path_.empty() ? file_ : file_ + ": " + path_, reason);
}

const Json &member(const Json &object, const char *key, const JsonPath &at)
{
    const auto it = object.find(key);
    if (it == object.end())
        (at / key).fail("missing");
    return *it;
}

std::string stringOf(const Json &value, const JsonPath &at)
{
    if (!value.is_string())
        at.fail(std::string("expected a string, found ") + value.type_name());
    return value.get<std::string>();
}

bool boolOr(const Json &object, const char *key, bool fallback, const JsonPath &at)
{
    const auto it = object.find(key);
    if (it == object.end() || it->is_null())
        return fallback;
    if (!it->is_boolean())
        (at / key).fail(std::string("expected true or false, found ") + it->type_name());
    return it->get<bool>();
}

std::size_t countOr(const Json &object, const char *key, std::size_t fallback, const JsonPath &at)
{
    const auto it = object.find(key);
    if (it == object.end() || it->is_null())
        return fallback;
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0)
        (at / key).fail(std::string("expected a non-negative integer, found ") + it->dump());
    return it->get<std::size_t>();
}

std::string typeOf(const Json &object, const JsonPath &at)
{
    if (!object.is_object())
        at.fail(std::string("expected an object, found ") + object.type_name());
    return stringOf(member(object, "type", at), at / "type");
}

const Json &arrayMember(const Json &object, const char *key, const JsonPath &at)
{
    const Json &list = member(object, key, at);
    if (!list.is_array())
        (at / key).fail(std::string("expected an array, found ") + list.type_name());
    return list;
}

std::string patternOf(const Json &object, const char *key, const JsonPath &at, bool &literal)
{
    const Json &pattern = member(object, key, at);
    if (pattern.is_object() && pattern.size() == 1 && pattern.contains("Regex")) {
        literal = false;
        return stringOf(pattern["Regex"], at / key / "Regex");
    }
    if (pattern.is_object() && pattern.size() == 1 && pattern.contains("String")) {
        literal = true;
        return stringOf(pattern["String"], at / key / "String");
    }
    (at / key).fail("expected {\"Regex\": ...} or {\"String\": ...}, found " + pattern.dump());
}

std::string characterOf(const Json &object, const char *key, const char *fallback, const JsonPath &at)
{
    const auto it = object.find(key);
    if ((it == object.end() || it->is_null()) && fallback == nullptr)
        (at / key).fail("missing");
    if (it == object.end() || it->is_null())
        return fallback;
    const std::string text = stringOf(*it, at / key);
    std::size_t pos = 0;
    if (text.empty() || findInvalidUtf8(text) != std::string::npos || (nextCodePoint(text, pos), pos != text.size()))
        (at / key).fail("expected exactly one character, found \"" + text + "\"");
    return text;
}

void unsupported(const std::string &type, const JsonPath &at, const char *supported)
{
    (at / "type").fail("\"" + type + "\" is not supported (supported: " + supported + ")");
}

} // namespace lwb::tokenizer_json
