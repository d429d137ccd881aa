// jinja::Value: the values a chat template computes with, as Python's Jinja2
// sees them (Hugging Face renders chat templates with Jinja2 in Python, so
// Python's rules are the reference): undefined, None, bool, int, float, str,
// list, dict (insertion-ordered, string keys) and namespace (the one mutable
// object: `{% set ns.x = ... %}` writes through every copy).
//
// Strings are UTF-8; length, indexing and slicing count code points as
// Python does. Lists and dicts are shared immutably between copies.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace lwb::jinja {

class Value;
using List = std::vector<Value>;
using Dict = std::vector<std::pair<std::string, Value>>; // insertion order

class Value
{
public:
    enum class Kind {
        Undefined,
        None,
        Bool,
        Int,
        Float,
        String,
        List,
        Dict,
        Namespace,
    };

    Value() = default; // undefined
    static Value none();
    explicit Value(bool value);
    explicit Value(std::int64_t value);
    explicit Value(double value);
    explicit Value(std::string value);
    explicit Value(List value);
    explicit Value(Dict value);
    static Value makeNamespace(Dict attributes);
    // JSON data (messages, tools): objects keep nlohmann's key order.
    static Value fromJson(const nlohmann::json &json);

    Kind kind() const { return kind_; }
    bool isUndefined() const { return kind_ == Kind::Undefined; }
    bool isNone() const { return kind_ == Kind::None; }
    bool isString() const { return kind_ == Kind::String; }
    bool isNumber() const { return kind_ == Kind::Int || kind_ == Kind::Float || kind_ == Kind::Bool; }
    bool isList() const { return kind_ == Kind::List; }
    bool isMapping() const { return kind_ == Kind::Dict || kind_ == Kind::Namespace; }

    bool boolean() const { return bool_; }
    std::int64_t integer() const { return kind_ == Kind::Bool ? static_cast<std::int64_t>(bool_) : int_; }
    double number() const; // int, float or bool as a double
    const std::string &string() const { return string_; }
    const List &list() const { return *list_; }
    const Dict &dict() const { return *dict_; }

    // A mapping's entry, or nullptr.
    const Value *find(const std::string &key) const;
    // Namespaces only: sets or adds an attribute, seen by every copy.
    void setAttribute(const std::string &key, Value value) const;

    bool truthy() const;          // Python's bool()
    std::string text() const;     // Python's str(); undefined is ""
    std::string repr() const;     // Python's repr()
    std::string typeName() const; // for error messages
    // Python's json.dumps(value, ensure_ascii=False, indent=indent) as
    // transformers' tojson filter calls it; indent < 0 is none.
    std::string json(int indent = -1) const;

    friend bool operator==(const Value &a, const Value &b);
    friend bool operator!=(const Value &a, const Value &b) { return !(a == b); }

private:
    std::string jsonAt(int indent, int depth) const;

    Kind kind_ = Kind::Undefined;
    bool bool_ = false;
    std::int64_t int_ = 0;
    double float_ = 0.0;
    std::string string_;
    std::shared_ptr<const List> list_;
    std::shared_ptr<Dict> dict_; // mutated only for namespaces
};

// Code point helpers on UTF-8 text (Python's str counts code points).
std::vector<std::string> codePoints(const std::string &text);
// Python's str.isspace() for one code point, as UTF-8.
bool isPythonSpace(const std::string &codePoint);

} // namespace lwb::jinja
