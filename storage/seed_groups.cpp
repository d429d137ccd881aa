// See seed_groups.h.
#include "storage/seed_groups.h"

#include "engine/core/error.h"
#include "storage/sha256.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>

namespace lwb::storage {

const std::vector<std::string> &seedIndependentConfigPaths()
{
    static const std::vector<std::string> paths
        = {"seed", "name", "threads", "training.output_dir", "training.resume_from"};
    return paths;
}

std::string seedGroupKey(const std::string &configJson)
{
    nlohmann::json config = nlohmann::json::parse(configJson, nullptr, /*allow_exceptions=*/false);
    if (!config.is_object())
        throw Error("config", "a run config must be a JSON object to be grouped by seed");
    for (const auto &path : seedIndependentConfigPaths()) {
        const auto dot = path.find('.');
        if (dot == std::string::npos) {
            config.erase(path);
            continue;
        }
        auto section = config.find(path.substr(0, dot));
        if (section != config.end() && section->is_object())
            section->erase(path.substr(dot + 1));
    }
    // nlohmann's object is a std::map: dump() is already in sorted key order.
    return sha256Hex(config.dump());
}

std::vector<SeedGroup> groupRunsBySeed(const std::vector<RunRecord> &runs)
{
    std::vector<SeedGroup> groups;
    std::map<std::string, std::size_t> indexOfKey;
    std::vector<std::set<std::uint64_t>> seedsSeen;
    for (const auto &run : runs) {
        std::string key;
        try {
            key = seedGroupKey(run.configJson);
        } catch (const Error &) {
            key = "run:" + std::to_string(run.id);
        }
        auto [where, isNew] = indexOfKey.emplace(key, groups.size());
        if (isNew) {
            groups.push_back({key, {}, {}, true});
            seedsSeen.emplace_back();
        }
        SeedGroup &group = groups[where->second];
        group.runIds.push_back(run.id);
        group.seeds.push_back(run.seed);
        if (!seedsSeen[where->second].insert(run.seed).second)
            group.seedsDistinct = false;
    }
    return groups;
}

} // namespace lwb::storage
