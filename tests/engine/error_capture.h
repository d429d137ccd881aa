// Helpers for tests that check error messages: errorOf() runs an action and
// returns the lwb::Error message it threw ("<no error>" when it threw none),
// contains() keeps the assertions readable.
#pragma once

#include "engine/core/error.h"

#include <functional>
#include <string>

namespace lwb::test {

inline std::string errorOf(const std::function<void()> &action)
{
    try {
        action();
    } catch (const Error &e) {
        return e.what();
    }
    return "<no error>";
}

inline bool contains(const std::string &text, const std::string &part)
{
    return text.find(part) != std::string::npos;
}

} // namespace lwb::test
