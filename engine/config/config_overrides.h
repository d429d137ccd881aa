// Command-line overrides of a config document: "training.lr=1e-3".
//
// The value is read as JSON when it parses (numbers, true/false, arrays,
// quoted strings) and as a plain string otherwise, so `--set name=my-run`
// and `--set adapter.targets=["c_attn"]` both work. The result is validated
// like the file itself by parseRunConfig().
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace lwb {

// Throws lwb::Error naming the override for a malformed one.
void applyOverride(nlohmann::json &document, const std::string &assignment);
void applyOverrides(nlohmann::json &document, const std::vector<std::string> &assignments);

} // namespace lwb
