// See jinja_builtins.h.
#include "engine/data/jinja/jinja_builtins.h"

#include "engine/data/jinja/jinja_strings.h"
#include "engine/data/jinja/jinja_syntax.h"

#include <algorithm>
#include <cmath>
#include <ctime>

namespace lwb::jinja {

namespace {

[[noreturn]] void fail(const std::string &message)
{
    throw TemplateError(kNoOffset, message);
}

std::int64_t length(const Value &value)
{
    switch (value.kind()) {
    case Value::Kind::Undefined:
        return 0;
    case Value::Kind::String:
        return static_cast<std::int64_t>(codePoints(value.string()).size());
    case Value::Kind::List:
        return static_cast<std::int64_t>(value.list().size());
    case Value::Kind::Dict:
    case Value::Kind::Namespace:
        return static_cast<std::int64_t>(value.dict().size());
    default:
        fail("length of a " + value.typeName());
    }
}

Value attributeOf(const Value &item, const std::string &name)
{
    const auto *found = item.find(name);
    return found ? *found : Value();
}

Value items(const Value &value)
{
    if (!value.isMapping())
        fail("items() needs a dict, not " + value.typeName());
    List pairs;
    for (const auto &entry : value.dict())
        pairs.emplace_back(List{Value(entry.first), entry.second});
    return Value(std::move(pairs));
}

// selectattr / rejectattr: items whose attribute passes the test (truthiness by default).
Value selectByAttribute(const Value &input, const Arguments &arguments, bool keep)
{
    const auto attribute = requireString(arguments.get(0, "attribute"), "selectattr's attribute");
    List kept;
    for (const auto &item : iterate(input, "selectattr")) {
        const auto value = attributeOf(item, attribute);
        bool passes = value.truthy();
        if (arguments.positional.size() > 1) {
            Arguments testArguments;
            testArguments.positional.assign(arguments.positional.begin() + 2, arguments.positional.end());
            passes = applyTest(requireString(arguments.positional[1], "selectattr's test"), value, testArguments);
        }
        if (passes == keep)
            kept.push_back(item);
    }
    return Value(std::move(kept));
}

Value mapItems(const Value &input, const Arguments &arguments)
{
    List mapped;
    const auto attribute = arguments.keyword("attribute");
    for (const auto &item : iterate(input, "map")) {
        if (!attribute.isUndefined()) {
            const auto value = attributeOf(item, requireString(attribute, "map's attribute"));
            mapped.push_back(value.isUndefined() ? arguments.keyword("default") : value);
            continue;
        }
        if (arguments.positional.empty())
            fail("map needs a filter name or attribute=");
        Arguments filterArguments;
        filterArguments.positional.assign(arguments.positional.begin() + 1, arguments.positional.end());
        filterArguments.keywords = arguments.keywords;
        mapped.push_back(applyFilter(requireString(arguments.positional[0], "map's filter"), item, filterArguments));
    }
    return Value(std::move(mapped));
}

Value toInt(const Value &value, const Value &fallback)
{
    if (value.kind() == Value::Kind::Float) {
        // Python's int() has no limit; outside int64 (and for nan/inf) the
        // conversion would be undefined here, so it is an error.
        const double whole = std::trunc(value.number());
        if (!(whole >= -0x1p63 && whole < 0x1p63))
            fail("int of " + value.text() + " does not fit in 64 bits");
        return Value(static_cast<std::int64_t>(whole));
    }
    if (value.isNumber())
        return Value(value.integer());
    if (value.isString()) {
        try {
            std::size_t used = 0;
            const auto text = strip(value.string(), Value(), true, true);
            const auto parsed = std::stoll(text, &used);
            if (used == text.size())
                return Value(static_cast<std::int64_t>(parsed));
        } catch (const std::exception &) {
        }
    }
    return fallback.isUndefined() ? Value(std::int64_t(0)) : fallback;
}

Value toFloat(const Value &value, const Value &fallback)
{
    if (value.isNumber())
        return Value(value.number());
    if (value.isString()) {
        try {
            std::size_t used = 0;
            const auto text = strip(value.string(), Value(), true, true);
            const auto parsed = std::stod(text, &used);
            if (used == text.size())
                return Value(parsed);
        } catch (const std::exception &) {
        }
    }
    return fallback.isUndefined() ? Value(0.0) : fallback;
}

Value reverse(const Value &value)
{
    auto items = iterate(value, "reverse");
    std::reverse(items.begin(), items.end());
    if (!value.isString())
        return Value(std::move(items));
    std::string text;
    for (const auto &item : items)
        text += item.string();
    return Value(std::move(text));
}

Value firstOrLast(const Value &value, bool first)
{
    const auto items = iterate(value, first ? "first" : "last");
    if (items.empty())
        return Value();
    return first ? items.front() : items.back();
}

bool compareNumbers(const Value &a, const Value &b, const std::string &op)
{
    if (!a.isNumber() || !b.isNumber())
        fail("test '" + op + "' compares numbers, not " + a.typeName() + " and " + b.typeName());
    const double x = a.number(), y = b.number();
    if (op == "lt" || op == "<")
        return x < y;
    if (op == "le" || op == "<=")
        return x <= y;
    if (op == "gt" || op == ">")
        return x > y;
    return x >= y;
}

} // namespace

std::string requireString(const Value &value, const std::string &what)
{
    if (!value.isString())
        fail(what + " needs a string, not " + value.typeName());
    return value.string();
}

std::int64_t requireInt(const Value &value, const std::string &what)
{
    if (value.kind() != Value::Kind::Int && value.kind() != Value::Kind::Bool)
        fail(what + " needs an integer, not " + value.typeName());
    return value.integer();
}

// What a for loop, join or list() walks: list items, string code points, dict keys.
List iterate(const Value &value, const std::string &what)
{
    switch (value.kind()) {
    case Value::Kind::Undefined:
        return {};
    case Value::Kind::List:
        return value.list();
    case Value::Kind::String: {
        List items;
        for (auto &point : codePoints(value.string()))
            items.emplace_back(std::move(point));
        return items;
    }
    case Value::Kind::Dict: {
        List keys;
        for (const auto &entry : value.dict())
            keys.emplace_back(entry.first);
        return keys;
    }
    default:
        fail(what + " needs a list, string or dict, not " + value.typeName());
    }
}

Value Arguments::get(std::size_t index, const char *name, Value fallback) const
{
    if (index < positional.size())
        return positional[index];
    return keyword(name, std::move(fallback));
}

Value Arguments::keyword(const char *name, Value fallback) const
{
    for (const auto &keyword : keywords)
        if (keyword.first == name)
            return keyword.second;
    return fallback;
}

Value applyFilter(const std::string &name, const Value &input, const Arguments &arguments)
{
    if (name == "trim")
        return Value(strip(input.text(), arguments.get(0, "chars"), true, true));
    if (name == "length" || name == "count")
        return Value(length(input));
    if (name == "tojson") {
        const auto indent = arguments.get(0, "indent");
        return Value(input.json(
            indent.isUndefined() || indent.isNone() ? -1 : static_cast<int>(requireInt(indent, "tojson's indent"))));
    }
    if (name == "upper" || name == "lower")
        return Value(asciiCase(input.text(), name == "upper"));
    if (name == "capitalize")
        return Value(capitalize(input.text()));
    if (name == "title")
        return Value(title(input.text()));
    if (name == "default" || name == "d") {
        const bool boolean = arguments.get(1, "boolean", Value(false)).truthy();
        if (input.isUndefined() || (boolean && !input.truthy()))
            return arguments.get(0, "default_value", Value(std::string()));
        return input;
    }
    if (name == "join") {
        const auto separator = arguments.get(0, "d", Value(std::string())).text();
        const auto attribute = arguments.get(1, "attribute");
        std::string out;
        bool first = true;
        for (const auto &item : iterate(input, "join")) {
            out += (first ? "" : separator)
                   + (attribute.isUndefined() ? item : attributeOf(item, attribute.text())).text();
            first = false;
        }
        return Value(std::move(out));
    }
    if (name == "first" || name == "last")
        return firstOrLast(input, name == "first");
    if (name == "string")
        return Value(input.text());
    if (name == "replace") {
        const auto count = arguments.get(2, "count");
        return Value(replace(input.text(), arguments.get(0, "old").text(), arguments.get(1, "new").text(),
                             count.isUndefined() || count.isNone() ? -1 : requireInt(count, "replace's count")));
    }
    if (name == "int")
        return toInt(input, arguments.get(0, "default"));
    if (name == "float")
        return toFloat(input, arguments.get(0, "default"));
    if (name == "list")
        return Value(iterate(input, "list"));
    if (name == "reverse")
        return reverse(input);
    if (name == "abs") {
        if (input.kind() == Value::Kind::Float)
            return Value(std::fabs(input.number()));
        if (input.isNumber())
            return Value(static_cast<std::int64_t>(std::llabs(input.integer())));
        fail("abs of a " + input.typeName());
    }
    if (name == "items")
        return items(input);
    if (name == "safe")
        return input;
    if (name == "selectattr" || name == "rejectattr")
        return selectByAttribute(input, arguments, name == "selectattr");
    if (name == "map")
        return mapItems(input, arguments);
    if (name == "unique") {
        // Jinja2 compares strings ignoring case unless case_sensitive=true,
        // and keeps the first of each.
        const bool caseSensitive = arguments.get(0, "case_sensitive", Value(false)).truthy();
        const auto key = [&](const Value &item) {
            return item.isString() && !caseSensitive ? Value(asciiCase(item.string(), false)) : item;
        };
        List kept, keys;
        for (const auto &item : iterate(input, "unique"))
            if (std::find(keys.begin(), keys.end(), key(item)) == keys.end()) {
                keys.push_back(key(item));
                kept.push_back(item);
            }
        return Value(std::move(kept));
    }
    fail("unknown filter '" + name + "'");
}

bool applyTest(const std::string &name, const Value &input, const Arguments &arguments)
{
    const auto kind = input.kind();
    if (name == "defined")
        return !input.isUndefined();
    if (name == "undefined")
        return input.isUndefined();
    if (name == "none")
        return input.isNone();
    if (name == "boolean")
        return kind == Value::Kind::Bool;
    if (name == "true" || name == "false")
        return kind == Value::Kind::Bool && input.boolean() == (name == "true");
    if (name == "integer")
        return kind == Value::Kind::Int;
    if (name == "float")
        return kind == Value::Kind::Float;
    if (name == "number")
        return input.isNumber();
    if (name == "string")
        return input.isString();
    if (name == "mapping")
        return kind == Value::Kind::Dict;
    if (name == "iterable")
        return input.isString() || input.isList() || input.isMapping() || input.isUndefined();
    if (name == "sequence")
        return input.isString() || input.isList() || kind == Value::Kind::Dict;
    if (name == "callable")
        return false;
    if (name == "odd" || name == "even")
        return (requireInt(input, name) % 2 != 0) == (name == "odd");
    if (name == "divisibleby") {
        const auto divisor = requireInt(arguments.get(0, "num"), "divisibleby");
        if (divisor == 0)
            fail("divisibleby 0");
        return requireInt(input, name) % divisor == 0;
    }
    if (name == "eq" || name == "equalto" || name == "==")
        return input == arguments.get(0, "other");
    if (name == "ne" || name == "!=")
        return input != arguments.get(0, "other");
    if (name == "lt" || name == "le" || name == "gt" || name == "ge" || name == "<" || name == "<=" || name == ">"
        || name == ">=")
        return compareNumbers(input, arguments.get(0, "other"), name);
    if (name == "sameas") {
        const auto other = arguments.get(0, "other");
        return kind == other.kind() && (kind == Value::Kind::None || kind == Value::Kind::Undefined || input == other);
    }
    if (name == "in") {
        const auto container = arguments.get(0, "seq");
        const auto members = iterate(container, "in");
        if (container.isString())
            return container.string().find(requireString(input, "in")) != std::string::npos;
        return std::find(members.begin(), members.end(), input) != members.end();
    }
    if (name == "lower" || name == "upper") {
        const auto text = input.text();
        return text == asciiCase(text, name == "upper");
    }
    fail("unknown test '" + name + "'");
}

Value callMethod(const Value &object, const std::string &name, const Arguments &arguments)
{
    if (object.isString()) {
        if (auto result = callStringMethod(object.string(), name, arguments))
            return *result;
    }
    if (object.isMapping()) {
        if (name == "items")
            return items(object);
        if (name == "keys" || name == "values") {
            List out;
            for (const auto &entry : object.dict())
                out.push_back(name == "keys" ? Value(entry.first) : entry.second);
            return Value(std::move(out));
        }
        if (name == "get") {
            const auto *found = object.find(arguments.get(0, "key").text());
            return found ? *found : arguments.get(1, "default", Value::none());
        }
    }
    if (object.isUndefined())
        fail("cannot call ." + name + "() on an undefined value");
    fail("a " + object.typeName() + " has no method ." + name + "()");
}

Value callGlobal(const std::string &name, const Arguments &arguments)
{
    if (name == "raise_exception")
        throw TemplateError(kNoOffset, arguments.get(0, "message").text(), true);
    if (name == "namespace") {
        Dict attributes;
        for (const auto &keyword : arguments.keywords)
            attributes.emplace_back(keyword.first, keyword.second);
        return Value::makeNamespace(std::move(attributes));
    }
    if (name == "range") {
        const auto count = arguments.positional.size();
        if (count == 0 || count > 3)
            fail("range takes 1 to 3 integers");
        std::int64_t start = 0, stop = 0, step = 1;
        if (count == 1)
            stop = requireInt(arguments.positional[0], "range");
        else {
            start = requireInt(arguments.positional[0], "range");
            stop = requireInt(arguments.positional[1], "range");
            if (count == 3)
                step = requireInt(arguments.positional[2], "range");
        }
        if (step == 0)
            fail("range's step must not be zero");
        // transformers renders in Jinja2's sandbox, whose range() refuses more
        // than MAX_RANGE items; the same limit keeps a template from taking all
        // memory, and the checked step keeps i from overflowing past stop.
        constexpr std::size_t kMaxRange = 100000;
        List values;
        for (auto i = start; step > 0 ? i < stop : i > stop;) {
            if (values.size() == kMaxRange)
                fail("range too big: more than " + std::to_string(kMaxRange)
                     + " items (the limit of transformers' sandboxed Jinja)");
            values.emplace_back(i);
            if (__builtin_add_overflow(i, step, &i))
                break;
        }
        return Value(std::move(values));
    }
    if (name == "strftime_now") {
        // transformers: datetime.now().strftime(format), the local time.
        const auto format = requireString(arguments.get(0, "format"), "strftime_now");
        const auto now = std::time(nullptr);
        std::tm local{};
        localtime_r(&now, &local);
        char buffer[256];
        const auto written = std::strftime(buffer, sizeof buffer, format.c_str(), &local);
        return Value(std::string(buffer, written));
    }
    fail("unknown function '" + name + "'");
}

Value sliceValue(const Value &object, const Value &start, const Value &stop, const Value &step)
{
    const auto items = iterate(object, "slicing");
    const auto size = static_cast<std::int64_t>(items.size());
    const auto stepBy = step.isUndefined() || step.isNone() ? 1 : requireInt(step, "a slice step");
    if (stepBy == 0)
        fail("slice step cannot be zero");
    // Python's slice.indices().
    auto bound = [&](const Value &value, std::int64_t fallback) {
        if (value.isUndefined() || value.isNone())
            return fallback;
        auto index = requireInt(value, "a slice bound");
        if (index < 0)
            index += size;
        if (stepBy > 0)
            return std::clamp<std::int64_t>(index, 0, size);
        return std::clamp<std::int64_t>(index, -1, size - 1);
    };
    const auto from = bound(start, stepBy > 0 ? 0 : size - 1);
    const auto to = bound(stop, stepBy > 0 ? size : -1);
    List picked;
    for (auto i = from; stepBy > 0 ? i < to : i > to; i += stepBy)
        picked.push_back(items[static_cast<std::size_t>(i)]);
    if (!object.isString())
        return Value(std::move(picked));
    std::string text;
    for (const auto &item : picked)
        text += item.string();
    return Value(std::move(text));
}

} // namespace lwb::jinja
