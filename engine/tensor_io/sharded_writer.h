// writeShardedSafetensors: the weights of a model folder as Hugging Face's
// save_pretrained lays them out, which ShardedCheckpoint and transformers read.
//
// When the tensors' bytes fit in maxShardBytes they go to one
// "model.safetensors"; otherwise they are cut, in the given order, into
// "model-00001-of-0000N.safetensors" shards of at most maxShardBytes each (a
// tensor larger than the limit gets a shard of its own, as in transformers),
// and "model.safetensors.index.json" maps every tensor to its shard:
//   {"metadata": {"total_size": BYTES}, "weight_map": {"name": "shard file"}}
// Every file is written atomically (writeSafetensors, AtomicFile); each shard
// carries `metadata` (transformers writes {"format": "pt"}).
#pragma once

#include "engine/tensor_io/safetensors_writer.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lwb {

// Returns the file names written into `folder` (shards first, then the
// index when there is one). Throws lwb::Error naming the file on failure.
std::vector<std::string> writeShardedSafetensors(const std::string &folder, const NamedTensors &tensors,
                                                 std::uint64_t maxShardBytes,
                                                 const std::map<std::string, std::string> &metadata = {});

} // namespace lwb
