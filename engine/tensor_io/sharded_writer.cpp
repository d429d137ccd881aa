// See sharded_writer.h. Shards are planned first (bytes only), then written,
// so the names can carry the final shard count.
#include "engine/tensor_io/sharded_writer.h"

#include "engine/core/error.h"
#include "engine/tensor_io/atomic_file.h"
#include "engine/tensor_io/sharded_checkpoint.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cstdio>

namespace lwb {

namespace {

std::string shardName(std::size_t index, std::size_t count)
{
    char name[64];
    std::snprintf(name, sizeof name, "model-%05zu-of-%05zu.safetensors", index + 1, count);
    return name;
}

} // namespace

std::vector<std::string> writeShardedSafetensors(const std::string &folder, const NamedTensors &tensors,
                                                 std::uint64_t maxShardBytes,
                                                 const std::map<std::string, std::string> &metadata)
{
    if (maxShardBytes == 0)
        throw Error(folder, "the shard size limit must be at least 1 byte");
    std::vector<NamedTensors> shards(1);
    std::uint64_t shardBytes = 0, totalBytes = 0;
    for (const auto &entry : tensors) {
        const auto bytes = static_cast<std::uint64_t>(entry.second.numel()) * entry.second.element_size();
        if (!shards.back().empty() && shardBytes + bytes > maxShardBytes) {
            shards.emplace_back();
            shardBytes = 0;
        }
        shards.back().push_back(entry);
        shardBytes += bytes;
        totalBytes += bytes;
    }

    std::vector<std::string> written;
    if (shards.size() == 1) {
        writeSafetensors(folder + "/" + ShardedCheckpoint::kSingleFileName, tensors, metadata);
        written.push_back(ShardedCheckpoint::kSingleFileName);
        return written;
    }
    nlohmann::json weightMap = nlohmann::json::object();
    for (std::size_t i = 0; i < shards.size(); ++i) {
        const auto name = shardName(i, shards.size());
        writeSafetensors(folder + "/" + name, shards[i], metadata);
        for (const auto &entry : shards[i])
            weightMap[entry.first] = name;
        written.push_back(name);
    }
    const nlohmann::json index = {{"metadata", {{"total_size", totalBytes}}}, {"weight_map", weightMap}};
    writeFileAtomically(folder + "/" + ShardedCheckpoint::kIndexFileName, index.dump(2) + "\n");
    written.push_back(ShardedCheckpoint::kIndexFileName);
    return written;
}

} // namespace lwb
