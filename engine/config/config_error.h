// ConfigError: every problem found in one run configuration, each with its
// JSON path, so `lorawb validate` and the GUI can list them all at once.
#pragma once

#include "engine/core/error.h"

#include <string>
#include <vector>

namespace lwb {

struct ConfigIssue
{
    std::string path;   // JSON path from the document root, e.g. "training.lr"
    std::string reason; // what is wrong and what is expected
};

class ConfigError : public Error
{
public:
    // `what` names the document in the message ("run config", "study").
    ConfigError(const std::string &source, std::vector<ConfigIssue> issues, const std::string &what = "run config");

    const std::vector<ConfigIssue> &issues() const { return issues_; }

private:
    std::vector<ConfigIssue> issues_;
};

} // namespace lwb
