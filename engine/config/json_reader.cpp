// See json_reader.h.
#include "engine/config/json_reader.h"

#include <cmath>
#include <sstream>

namespace lwb {

namespace {

std::string typeName(const nlohmann::json &value)
{
    return value.type_name();
}

// The value as it appears in an error. Strings from --set overrides may hold
// bytes that are not UTF-8; dump() would throw on them, so they show as U+FFFD.
std::string shown(const nlohmann::json &value)
{
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string joinQuoted(const std::vector<std::string> &items)
{
    std::string out;
    for (const auto &item : items)
        out += (out.empty() ? "\"" : ", \"") + item + "\"";
    return out;
}

std::string formatNumber(double value)
{
    std::ostringstream out;
    out << value;
    return out.str();
}

} // namespace

ConfigError::ConfigError(const std::string &source, std::vector<ConfigIssue> issues, const std::string &what)
    : Error(source,
            [&] {
                std::string text = std::to_string(issues.size()) + " problem(s) in the " + what + ":";
                for (const auto &issue : issues)
                    text += "\n  " + issue.path + ": " + issue.reason;
                return text;
            }())
    , issues_(std::move(issues))
{
}

JsonReader::JsonReader(const nlohmann::json &object, std::string path, std::vector<ConfigIssue> &issues)
    : object_(object.is_object() ? object : nlohmann::json::object())
    , path_(std::move(path))
    , issues_(&issues)
{
    if (!object.is_null() && !object.is_object())
        issues_->push_back({path_.empty() ? "(root)" : path_, "expected an object, got " + typeName(object)});
}

std::string JsonReader::keyPath(const char *key) const
{
    return path_.empty() ? std::string(key) : path_ + "." + key;
}

bool JsonReader::has(const char *key) const
{
    return object_.contains(key);
}

const nlohmann::json *JsonReader::value(const char *key)
{
    seen_.insert(key);
    const auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
}

void JsonReader::fail(const char *key, const std::string &reason)
{
    issues_->push_back({keyPath(key), reason});
}

void JsonReader::readInt(const char *key, std::int64_t &field, std::int64_t min, std::int64_t max)
{
    const auto *v = value(key);
    if (!v)
        return;
    if (!v->is_number_integer()) {
        // 3.0 is accepted as 3; 3.5 and "3" are not.
        const double number = v->is_number_float() ? v->get<double>() : 0.5;
        if (std::floor(number) == number) {
            // Outside [-2^63, 2^63) the conversion itself would be undefined.
            if (!(number >= -0x1p63 && number < 0x1p63)) {
                fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got "
                              + formatNumber(number));
                return;
            }
            field = static_cast<std::int64_t>(number);
        } else {
            fail(key, "expected an integer, got " + typeName(*v) + " " + shown(*v));
            return;
        }
    } else {
        field = v->get<std::int64_t>();
    }
    if (field < min || field > max)
        fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got "
                      + std::to_string(field));
}

void JsonReader::readNumber(const char *key, double &field, double min, double max, bool minExclusive)
{
    const auto *v = value(key);
    if (!v)
        return;
    if (!v->is_number()) {
        fail(key, "expected a number, got " + typeName(*v) + " " + shown(*v));
        return;
    }
    field = v->get<double>();
    const bool belowMin = minExclusive ? field <= min : field < min;
    if (!std::isfinite(field) || belowMin || field > max)
        fail(key, std::string("must be ") + (minExclusive ? "> " : ">= ") + formatNumber(min)
                      + " and <= " + formatNumber(max) + ", got " + formatNumber(field));
}

void JsonReader::readBool(const char *key, bool &field)
{
    const auto *v = value(key);
    if (!v)
        return;
    if (!v->is_boolean()) {
        fail(key, "expected true or false, got " + typeName(*v) + " " + shown(*v));
        return;
    }
    field = v->get<bool>();
}

void JsonReader::readString(const char *key, std::string &field, const std::vector<std::string> &allowed)
{
    const auto *v = value(key);
    if (!v)
        return;
    if (!v->is_string()) {
        fail(key, "expected a string, got " + typeName(*v) + " " + shown(*v));
        return;
    }
    const auto text = v->get<std::string>();
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), text) == allowed.end()) {
        fail(key, "\"" + text + "\" is not one of " + joinQuoted(allowed));
        return;
    }
    field = text;
}

void JsonReader::readStringList(const char *key, std::vector<std::string> &field, bool allowEmpty)
{
    const auto *v = value(key);
    if (!v)
        return;
    if (!v->is_array()) {
        fail(key, "expected an array of strings, got " + typeName(*v));
        return;
    }
    std::vector<std::string> items;
    for (std::size_t i = 0; i < v->size(); ++i) {
        const auto &item = (*v)[i];
        if (!item.is_string()) {
            issues_->push_back(
                {keyPath(key) + "[" + std::to_string(i) + "]", "expected a string, got " + typeName(item)});
            return;
        }
        items.push_back(item.get<std::string>());
    }
    if (items.empty() && !allowEmpty) {
        fail(key, "must not be empty");
        return;
    }
    field = std::move(items);
}

JsonReader JsonReader::child(const char *key)
{
    const auto *v = value(key);
    if (v && !v->is_object()) {
        fail(key, "expected an object, got " + typeName(*v));
        return JsonReader(nlohmann::json::object(), keyPath(key), *issues_);
    }
    return JsonReader(v ? *v : nlohmann::json::object(), keyPath(key), *issues_);
}

std::vector<JsonReader> JsonReader::childList(const char *key)
{
    std::vector<JsonReader> items;
    const auto *v = value(key);
    if (!v)
        return items;
    if (!v->is_array()) {
        fail(key, "expected an array of objects, got " + typeName(*v));
        return items;
    }
    for (std::size_t i = 0; i < v->size(); ++i) {
        const auto itemPath = keyPath(key) + "[" + std::to_string(i) + "]";
        if (!(*v)[i].is_object()) {
            issues_->push_back({itemPath, "expected an object, got " + typeName((*v)[i])});
            continue;
        }
        items.emplace_back((*v)[i], itemPath, *issues_);
    }
    return items;
}

void JsonReader::skip(const char *key)
{
    seen_.insert(key);
}

void JsonReader::finish()
{
    for (const auto &item : object_.items()) {
        if (!seen_.count(item.key()))
            issues_->push_back({keyPath(item.key().c_str()), "unknown key"});
    }
}

} // namespace lwb
