// Config diff: which settings differ between runs.
//
// A run config is one JSON document; flattening turns it into leaf paths
// ("adapter.rank", "data.tasks[1]", "optimizer.lr") with the leaf's JSON text
// as value ("8", "\"cosine\"", "true"). Two runs differ at a path when the
// texts differ or one run lacks the path. Empty objects and arrays are leaves
// ("{}", "[]") so that "no layers targeted" still shows up.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lwb::storage {

// Leaf path -> compact JSON text of the leaf. Paths sort in std::map order.
std::map<std::string, std::string> flattenJson(const nlohmann::json &document);

struct ConfigDifference
{
    std::string path;
    std::vector<std::optional<std::string>> values; // one per config; nullopt: path absent
};

// Paths whose values are not all equal, sorted by path. Each config must be a
// JSON text; a malformed one throws lwb::Error naming its position ("config 2").
std::vector<ConfigDifference> diffConfigs(const std::vector<std::string> &configJsons);

} // namespace lwb::storage
