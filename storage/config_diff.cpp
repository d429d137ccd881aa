// Flattening JSON into leaf paths, and the diff over several flattened configs.
#include "storage/config_diff.h"

#include "engine/core/error.h"

#include <nlohmann/json.hpp>

#include <set>

namespace lwb::storage {

namespace {

void flattenInto(const nlohmann::json &node, const std::string &path, std::map<std::string, std::string> &out)
{
    if (node.is_object() && !node.empty()) {
        for (auto it = node.begin(); it != node.end(); ++it)
            flattenInto(it.value(), path.empty() ? it.key() : path + "." + it.key(), out);
        return;
    }
    if (node.is_array() && !node.empty()) {
        for (std::size_t i = 0; i < node.size(); ++i)
            flattenInto(node[i], path + "[" + std::to_string(i) + "]", out);
        return;
    }
    out[path.empty() ? std::string("$") : path] = node.dump();
}

} // namespace

std::map<std::string, std::string> flattenJson(const nlohmann::json &document)
{
    std::map<std::string, std::string> leaves;
    flattenInto(document, std::string(), leaves);
    return leaves;
}

std::vector<ConfigDifference> diffConfigs(const std::vector<std::string> &configJsons)
{
    std::vector<std::map<std::string, std::string>> flattened;
    flattened.reserve(configJsons.size());
    for (std::size_t i = 0; i < configJsons.size(); ++i) {
        try {
            flattened.push_back(flattenJson(nlohmann::json::parse(configJsons[i])));
        } catch (const nlohmann::json::parse_error &error) {
            throw Error("config " + std::to_string(i + 1), std::string("not valid JSON: ") + error.what());
        }
    }

    std::set<std::string> paths;
    for (const auto &leaves : flattened) {
        for (const auto &entry : leaves)
            paths.insert(entry.first);
    }

    std::vector<ConfigDifference> differences;
    for (const std::string &path : paths) {
        ConfigDifference difference;
        difference.path = path;
        bool allEqual = true;
        for (const auto &leaves : flattened) {
            const auto found = leaves.find(path);
            std::optional<std::string> value;
            if (found != leaves.end())
                value = found->second;
            if (!difference.values.empty() && value != difference.values.front())
                allEqual = false;
            difference.values.push_back(std::move(value));
        }
        if (!allEqual)
            differences.push_back(std::move(difference));
    }
    return differences;
}

} // namespace lwb::storage
