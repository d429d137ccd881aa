// See config_overrides.h.
#include "engine/config/config_overrides.h"

#include "engine/core/error.h"

namespace lwb {

void applyOverride(nlohmann::json &document, const std::string &assignment)
{
    const auto where = "--set " + assignment;
    const auto equals = assignment.find('=');
    if (equals == std::string::npos || equals == 0)
        throw Error(where, "expected key.path=value");
    const auto path = assignment.substr(0, equals);
    const auto text = assignment.substr(equals + 1);

    nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded())
        value = text;

    nlohmann::json *node = &document;
    std::size_t start = 0;
    while (true) {
        const auto dot = path.find('.', start);
        const auto key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (key.empty())
            throw Error(where, "empty key in path \"" + path + "\"");
        if (node->is_null())
            *node = nlohmann::json::object();
        if (!node->is_object())
            throw Error(where, "\"" + path.substr(0, start ? start - 1 : 0) + "\" is not an object");
        node = &(*node)[key];
        if (dot == std::string::npos)
            break;
        start = dot + 1;
    }
    *node = value;
}

void applyOverrides(nlohmann::json &document, const std::vector<std::string> &assignments)
{
    if (document.is_null())
        document = nlohmann::json::object();
    for (const auto &assignment : assignments)
        applyOverride(document, assignment);
}

} // namespace lwb
