// Python's str operations as chat templates use them, on UTF-8 text counted
// in code points: the str methods (capitalize count endswith find join lower
// lstrip replace rstrip split startswith strip title upper) and the helpers
// the filters share with them. Case changes touch ASCII letters only.
#pragma once

#include "engine/data/jinja/jinja_builtins.h"

#include <cstdint>
#include <optional>
#include <string>

namespace lwb::jinja {

std::string asciiCase(std::string text, bool upper);
std::string capitalize(const std::string &text); // first letter upper, the rest lower
std::string title(const std::string &text);      // Jinja's title filter
// str.strip / lstrip / rstrip: `chars` undefined or None strips Python's whitespace.
std::string strip(const std::string &text, const Value &chars, bool left, bool right);
// str.replace(old, with, count); count < 0 replaces all.
std::string replace(const std::string &text, const std::string &old, const std::string &with, std::int64_t count);

// text.name(arguments), or nullopt when str has no such method here.
std::optional<Value> callStringMethod(const std::string &text, const std::string &name, const Arguments &arguments);

} // namespace lwb::jinja
