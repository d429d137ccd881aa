// JsonPath and small typed readers for tokenizer.json: every refusal is an
// lwb::Error at "<file>: <json path>" ("pre_tokenizer.pretokenizers[1].type")
// saying what was expected and what was found.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace lwb::tokenizer_json {

using Json = nlohmann::json;

// A position in the document, for messages: "<file>: model.merges[3]".
class JsonPath
{
public:
    JsonPath(const std::string &file, std::string path)
        : file_(file)
        , path_(std::move(path))
    {
    }

    JsonPath operator/(const std::string &key) const { return {file_, path_.empty() ? key : path_ + "." + key}; }
    JsonPath operator[](std::size_t index) const { return {file_, path_ + "[" + std::to_string(index) + "]"}; }

    [[noreturn]] void fail(const std::string &reason) const;

private:
    const std::string &file_;
    std::string path_;
};

const Json &member(const Json &object, const char *key, const JsonPath &at);
std::string stringOf(const Json &value, const JsonPath &at);
bool boolOr(const Json &object, const char *key, bool fallback, const JsonPath &at);
// A non-negative integer member, `fallback` when absent or null.
std::size_t countOr(const Json &object, const char *key, std::size_t fallback, const JsonPath &at);
// The "type" of a component object.
std::string typeOf(const Json &object, const JsonPath &at);
// The elements of an array member ("normalizers", "pretokenizers", ...).
const Json &arrayMember(const Json &object, const char *key, const JsonPath &at);
// A {"String": s} or {"Regex": r} pattern; `literal` says which.
std::string patternOf(const Json &object, const char *key, const JsonPath &at, bool &literal);
// A string member holding exactly one character (Metaspace's replacement);
// `fallback` when absent or null, which a null `fallback` refuses.
std::string characterOf(const Json &object, const char *key, const char *fallback, const JsonPath &at);
// The refusal of an unknown component type.
[[noreturn]] void unsupported(const std::string &type, const JsonPath &at, const char *supported);

} // namespace lwb::tokenizer_json
