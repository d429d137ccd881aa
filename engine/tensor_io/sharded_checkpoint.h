// ShardedCheckpoint: one view over the safetensors weights of a Hugging Face
// model, whether they sit in one model.safetensors or are split into shards
// listed by model.safetensors.index.json.
//
// The index is {"metadata": {...}, "weight_map": {"tensor name": "shard file"}}.
// Shard names must be plain file names in the index's directory (no path
// separators, so an index cannot reach outside its folder). Every shard is
// opened and validated up front; the index and the shards must agree: a name
// the index maps to a shard that lacks it, or a tensor in a shard that the
// index does not list, is an error naming the index, the shard and the tensor.
#pragma once

#include "engine/tensor_io/safetensors_reader.h"

#include <ATen/core/Tensor.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lwb {

class ShardedCheckpoint
{
public:
    static constexpr const char *kIndexFileName = "model.safetensors.index.json";
    static constexpr const char *kSingleFileName = "model.safetensors";

    // `path` is a model directory (index preferred, else model.safetensors),
    // an index .json file, or a single .safetensors file. Throws lwb::Error.
    explicit ShardedCheckpoint(const std::string &path);

    // Tensor names, sorted.
    std::vector<std::string> names() const;
    bool contains(const std::string &name) const;
    const SafetensorsTensorInfo &info(const std::string &name) const;
    // The shard file that holds the tensor (its full path).
    const std::string &shardPath(const std::string &name) const;
    at::Tensor load(const std::string &name, c10::ScalarType type = c10::ScalarType::Float) const;

    // The file this checkpoint was opened from (index or single file).
    const std::string &sourcePath() const { return sourcePath_; }
    std::size_t shardCount() const { return shards_.size(); }

private:
    void openIndex(const std::string &indexPath);
    void openSingle(const std::string &filePath);
    const SafetensorsReader &readerFor(const std::string &name) const;

    std::string sourcePath_;
    std::vector<std::unique_ptr<SafetensorsReader>> shards_;
    std::map<std::string, std::size_t> shardOf_; // tensor name -> index in shards_
};

} // namespace lwb
