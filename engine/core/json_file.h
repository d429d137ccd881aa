// readJsonFile: a JSON file (a run config, a manifest, a model config) read
// whole, with the error every reader of such files gives: the path, and
// either why it could not be opened (`whenMissing`, which says what the
// file was expected to be) or where the JSON is broken.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace lwb {

// Throws lwb::Error(path, whenMissing) for a file that cannot be opened and
// lwb::Error(path, "not valid JSON: ...") (with the byte offset) for bad JSON.
nlohmann::json readJsonFile(const std::string &path, const std::string &whenMissing);

} // namespace lwb
