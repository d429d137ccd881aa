// See jinja_value.h.
#include "engine/data/jinja/jinja_value.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

namespace lwb::jinja {

namespace {

std::string pythonFloat(double value)
{
    if (std::isnan(value))
        return "nan";
    if (std::isinf(value))
        return value > 0 ? "inf" : "-inf";
    // Python's repr: the fewest significant digits that read back as the same
    // double, written out in full for exponents -4..15, else as d.ddde+XX.
    char buffer[40];
    for (int precision = 0; precision <= 16; ++precision) {
        std::snprintf(buffer, sizeof buffer, "%.*e", precision, value);
        if (std::strtod(buffer, nullptr) == value)
            break;
    }
    const std::string text = buffer;
    const auto e = text.find('e');
    const int exponent = std::atoi(text.c_str() + e + 1);
    const bool negative = text[0] == '-';
    std::string digits;
    for (std::size_t i = negative ? 1 : 0; i < e; ++i)
        if (text[i] != '.')
            digits += text[i];
    while (digits.size() > 1 && digits.back() == '0')
        digits.pop_back();
    std::string out = negative ? "-" : "";
    if (exponent < -4 || exponent >= 16) {
        out += digits.substr(0, 1) + (digits.size() > 1 ? "." + digits.substr(1) : "");
        char suffix[16];
        std::snprintf(suffix, sizeof suffix, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
        return out + suffix;
    }
    if (exponent < 0)
        return out + "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
    const auto whole = static_cast<std::size_t>(exponent) + 1;
    if (digits.size() <= whole)
        return out + digits + std::string(whole - digits.size(), '0') + ".0";
    return out + digits.substr(0, whole) + "." + digits.substr(whole);
}

std::string jsonString(const std::string &text)
{
    std::string out = "\"";
    for (const unsigned char c : text) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        default:
            if (c < 0x20) {
                char escaped[8];
                std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
                out += escaped;
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    return out + "\"";
}

std::string pythonStringRepr(const std::string &text)
{
    const bool doubleQuotes = text.find('\'') != std::string::npos && text.find('"') == std::string::npos;
    const char quote = doubleQuotes ? '"' : '\'';
    std::string out(1, quote);
    for (const unsigned char c : text) {
        if (c == '\\')
            out += "\\\\";
        else if (c == static_cast<unsigned char>(quote))
            out += std::string("\\") + quote;
        else if (c == '\n')
            out += "\\n";
        else if (c == '\r')
            out += "\\r";
        else if (c == '\t')
            out += "\\t";
        else if (c < 0x20 || c == 0x7f) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
            out += escaped;
        } else
            out += static_cast<char>(c);
    }
    return out + quote;
}

} // namespace

Value Value::none()
{
    Value value;
    value.kind_ = Kind::None;
    return value;
}

Value::Value(bool value)
    : kind_(Kind::Bool)
    , bool_(value)
{
}

Value::Value(std::int64_t value)
    : kind_(Kind::Int)
    , int_(value)
{
}

Value::Value(double value)
    : kind_(Kind::Float)
    , float_(value)
{
}

Value::Value(std::string value)
    : kind_(Kind::String)
    , string_(std::move(value))
{
}

Value::Value(List value)
    : kind_(Kind::List)
    , list_(std::make_shared<const List>(std::move(value)))
{
}

Value::Value(Dict value)
    : kind_(Kind::Dict)
    , dict_(std::make_shared<Dict>(std::move(value)))
{
}

Value Value::makeNamespace(Dict attributes)
{
    Value value(std::move(attributes));
    value.kind_ = Kind::Namespace;
    return value;
}

Value Value::fromJson(const nlohmann::json &json)
{
    switch (json.type()) {
    case nlohmann::json::value_t::null:
        return none();
    case nlohmann::json::value_t::boolean:
        return Value(json.get<bool>());
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
        return Value(json.get<std::int64_t>());
    case nlohmann::json::value_t::number_float:
        return Value(json.get<double>());
    case nlohmann::json::value_t::string:
        return Value(json.get<std::string>());
    case nlohmann::json::value_t::array: {
        List items;
        for (const auto &item : json)
            items.push_back(fromJson(item));
        return Value(std::move(items));
    }
    case nlohmann::json::value_t::object: {
        Dict entries;
        for (const auto &item : json.items())
            entries.emplace_back(item.key(), fromJson(item.value()));
        return Value(std::move(entries));
    }
    default:
        return Value();
    }
}

double Value::number() const
{
    if (kind_ == Kind::Float)
        return float_;
    return static_cast<double>(integer());
}

const Value *Value::find(const std::string &key) const
{
    if (!isMapping())
        return nullptr;
    for (const auto &entry : *dict_)
        if (entry.first == key)
            return &entry.second;
    return nullptr;
}

void Value::setAttribute(const std::string &key, Value value) const
{
    for (auto &entry : *dict_)
        if (entry.first == key) {
            entry.second = std::move(value);
            return;
        }
    dict_->emplace_back(key, std::move(value));
}

bool Value::truthy() const
{
    switch (kind_) {
    case Kind::Undefined:
    case Kind::None:
        return false;
    case Kind::Bool:
        return bool_;
    case Kind::Int:
        return int_ != 0;
    case Kind::Float:
        return float_ != 0.0;
    case Kind::String:
        return !string_.empty();
    case Kind::List:
        return !list_->empty();
    case Kind::Dict:
        return !dict_->empty();
    case Kind::Namespace:
        return true;
    }
    return false;
}

std::string Value::text() const
{
    switch (kind_) {
    case Kind::Undefined:
        return "";
    case Kind::String:
        return string_;
    default:
        return repr();
    }
}

std::string Value::repr() const
{
    switch (kind_) {
    case Kind::Undefined:
        return "Undefined";
    case Kind::None:
        return "None";
    case Kind::Bool:
        return bool_ ? "True" : "False";
    case Kind::Int:
        return std::to_string(int_);
    case Kind::Float:
        return pythonFloat(float_);
    case Kind::String:
        return pythonStringRepr(string_);
    case Kind::List: {
        std::string out = "[";
        for (std::size_t i = 0; i < list_->size(); ++i)
            out += (i ? ", " : "") + (*list_)[i].repr();
        return out + "]";
    }
    case Kind::Dict:
    case Kind::Namespace: {
        std::string out = kind_ == Kind::Namespace ? "<Namespace {" : "{";
        for (std::size_t i = 0; i < dict_->size(); ++i)
            out += (i ? ", " : "") + pythonStringRepr((*dict_)[i].first) + ": " + (*dict_)[i].second.repr();
        return out + (kind_ == Kind::Namespace ? "}>" : "}");
    }
    }
    return "";
}

std::string Value::typeName() const
{
    switch (kind_) {
    case Kind::Undefined:
        return "undefined";
    case Kind::None:
        return "none";
    case Kind::Bool:
        return "boolean";
    case Kind::Int:
        return "integer";
    case Kind::Float:
        return "float";
    case Kind::String:
        return "string";
    case Kind::List:
        return "list";
    case Kind::Dict:
        return "dict";
    case Kind::Namespace:
        return "namespace";
    }
    return "";
}

std::string Value::json(int indent) const
{
    return jsonAt(indent, 0);
}

std::string Value::jsonAt(int indent, int depth) const
{
    switch (kind_) {
    case Kind::Undefined:
    case Kind::None:
        return "null";
    case Kind::Bool:
        return bool_ ? "true" : "false";
    case Kind::Int:
        return std::to_string(int_);
    case Kind::Float:
        return std::isfinite(float_) ? pythonFloat(float_)
                                     : (std::isnan(float_) ? "NaN" : (float_ > 0 ? "Infinity" : "-Infinity"));
    case Kind::String:
        return jsonString(string_);
    case Kind::List:
    case Kind::Dict:
    case Kind::Namespace: {
        const bool isList = kind_ == Kind::List;
        const std::size_t count = isList ? list_->size() : dict_->size();
        if (count == 0)
            return isList ? "[]" : "{}";
        // json.dumps: ", " between items without indent, "," plus a newline with it.
        const std::string inner
            = indent < 0 ? "" : "\n" + std::string(static_cast<std::size_t>(indent * (depth + 1)), ' ');
        const std::string outer = indent < 0 ? "" : "\n" + std::string(static_cast<std::size_t>(indent * depth), ' ');
        const std::string separator = indent < 0 ? ", " : ",";
        std::string out = isList ? "[" : "{";
        for (std::size_t i = 0; i < count; ++i) {
            out += (i ? separator : "") + inner;
            if (isList)
                out += (*list_)[i].jsonAt(indent, depth + 1);
            else
                out += jsonString((*dict_)[i].first) + ": " + (*dict_)[i].second.jsonAt(indent, depth + 1);
        }
        return out + outer + (isList ? "]" : "}");
    }
    }
    return "";
}

bool operator==(const Value &a, const Value &b)
{
    if (a.isNumber() && b.isNumber()) {
        if (a.kind_ != Value::Kind::Float && b.kind_ != Value::Kind::Float)
            return a.integer() == b.integer();
        return a.number() == b.number();
    }
    if (a.kind_ != b.kind_)
        return false;
    switch (a.kind_) {
    case Value::Kind::Undefined:
    case Value::Kind::None:
        return true;
    case Value::Kind::String:
        return a.string_ == b.string_;
    case Value::Kind::List:
        return *a.list_ == *b.list_;
    case Value::Kind::Dict: {
        if (a.dict_->size() != b.dict_->size())
            return false;
        for (const auto &entry : *a.dict_) {
            const auto *other = b.find(entry.first);
            if (!other || *other != entry.second)
                return false;
        }
        return true;
    }
    case Value::Kind::Namespace:
        return a.dict_ == b.dict_;
    default:
        return false;
    }
}

std::vector<std::string> codePoints(const std::string &text)
{
    std::vector<std::string> points;
    for (std::size_t i = 0; i < text.size();) {
        const auto lead = static_cast<unsigned char>(text[i]);
        std::size_t length = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
        length = std::min(length, text.size() - i);
        points.push_back(text.substr(i, length));
        i += length;
    }
    return points;
}

bool isPythonSpace(const std::string &codePoint)
{
    static const std::set<std::string> kSpaces
        = {" ",      "\t",     "\n",     "\v",     "\f",     "\r",     "\x1c",   "\x1d",   "\x1e",   "\x1f",
           "\u0085", "\u00a0", "\u1680", "\u2000", "\u2001", "\u2002", "\u2003", "\u2004", "\u2005", "\u2006",
           "\u2007", "\u2008", "\u2009", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000"};
    return kSpaces.count(codePoint) != 0;
}

} // namespace lwb::jinja
