// lwb::Error: the one exception type the engine throws for bad input.
//
// It carries where the problem is (a file, a file plus JSON path, a line) and
// why, so that the CLI and the GUI can print a message a person can act on.
// Programming errors still use TORCH_CHECK / assertions; Error is for input.
#pragma once

#include <stdexcept>
#include <string>

namespace lwb {

class Error : public std::runtime_error
{
public:
    Error(std::string where, std::string reason)
        : std::runtime_error(where.empty() ? reason : where + ": " + reason)
        , where_(std::move(where))
        , reason_(std::move(reason))
    {
    }

    const std::string &where() const { return where_; }
    const std::string &reason() const { return reason_; }

private:
    std::string where_;
    std::string reason_;
};

} // namespace lwb
