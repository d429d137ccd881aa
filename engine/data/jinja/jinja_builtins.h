// The filters, tests, methods and global functions chat templates call,
// with Python's and Jinja2's semantics (transformers renders with Jinja2):
//   filters  abs capitalize count d default first float int items join last
//            length list lower map rejectattr replace reverse safe selectattr
//            string title tojson trim unique upper
//   tests    boolean callable defined divisibleby eq equalto even false float
//            ge gt in integer iterable le lower lt mapping ne none number odd
//            sameas sequence string true undefined upper
//   methods  str: see jinja_strings.h; dict: get items keys values
//   globals  namespace(...) range(...) raise_exception(msg) strftime_now(fmt)
// upper/lower/title/capitalize change ASCII letters only. Unknown names and
// wrong argument types throw TemplateError with kNoOffset (the interpreter
// adds the offset).
#pragma once

#include "engine/data/jinja/jinja_value.h"

#include <string>
#include <utility>
#include <vector>

namespace lwb::jinja {

struct Arguments
{
    std::vector<Value> positional;
    std::vector<std::pair<std::string, Value>> keywords;

    // The argument at `index` or named `name`, else `fallback`.
    Value get(std::size_t index, const char *name, Value fallback = Value()) const;
    // The argument named `name` only, else `fallback`.
    Value keyword(const char *name, Value fallback = Value()) const;
};

Value applyFilter(const std::string &name, const Value &input, const Arguments &arguments);
bool applyTest(const std::string &name, const Value &input, const Arguments &arguments);
Value callMethod(const Value &object, const std::string &name, const Arguments &arguments);
Value callGlobal(const std::string &name, const Arguments &arguments);

// Argument checks shared by the builtins: TemplateError (kNoOffset) naming
// `what` when the value has the wrong type.
std::string requireString(const Value &value, const std::string &what);
std::int64_t requireInt(const Value &value, const std::string &what);
// What a for loop, join or list() walks: list items, string code points,
// dict keys; undefined is empty.
List iterate(const Value &value, const std::string &what);

// Python's x[start:stop:step] on a string (code points) or a list.
Value sliceValue(const Value &object, const Value &start, const Value &stop, const Value &step);

} // namespace lwb::jinja
