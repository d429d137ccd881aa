// Reading the fields of a JSONL line, with errors that name the line.
#pragma once

#include "engine/core/error.h"

#include <nlohmann/json.hpp>

#include <string>

namespace lwb {

// object[key] as a string; lwb::Error(where, ...) when missing or not a string.
inline std::string stringField(const nlohmann::json &object, const char *key, const std::string &where)
{
    const auto found = object.find(key);
    if (found == object.end())
        throw Error(where, std::string("missing \"") + key + "\"");
    if (!found->is_string())
        throw Error(where, std::string("\"") + key + "\" must be a string, not " + found->type_name());
    return found->get<std::string>();
}

} // namespace lwb
