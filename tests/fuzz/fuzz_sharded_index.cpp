// Fuzzes ShardedCheckpoint (engine/tensor_io) through its index: the input is
// model.safetensors.index.json, in a folder that also holds two valid shards
// (written once, by hand below, so this harness does not trust our writer).
// What a fuzzed index can do: name shards that do not exist, reach outside
// the folder, name itself, disagree with the shards, or be no JSON at all.
// An accepted checkpoint has every tensor looked up and loaded.
#include "engine/core/error.h"
#include "engine/tensor_io/sharded_checkpoint.h"
#include "fuzz_support.h"

#include <ATen/ATen.h>

#include <cstring>

namespace {

// A safetensors file by the format's definition: u64 little-endian header
// length, the JSON header (padded with spaces to 8 bytes), the data.
std::string safetensorsFile(const std::string &header, const std::string &payload)
{
    std::string json = header;
    while (json.size() % 8 != 0)
        json += ' ';
    std::string file(8, '\0');
    std::uint64_t length = json.size();
    std::memcpy(file.data(), &length, sizeof length);
    return file + json + payload;
}

std::string writeShards()
{
    const auto &folder = lwb::fuzz::scratch();
    // shard 1: "a" F32 [2] (1.0, 2.0), "b" F16 [1] (1.0)
    const float a[2] = {1.0f, 2.0f};
    std::string payload1(reinterpret_cast<const char *>(a), sizeof a);
    payload1 += std::string("\x00\x3c", 2);
    folder.write("model-00001-of-00002.safetensors",
                 safetensorsFile(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                 R"("b":{"dtype":"F16","shape":[1],"data_offsets":[8,10]}})",
                                 payload1));
    // shard 2: "c" BF16 [2,1] (1.0, -2.0), "d" I64 [] (7)
    std::string payload2("\x80\x3f\x00\xc0", 4);
    const std::int64_t d = 7;
    payload2.append(reinterpret_cast<const char *>(&d), sizeof d);
    folder.write("model-00002-of-00002.safetensors",
                 safetensorsFile(R"({"__metadata__":{"format":"pt"},)"
                                 R"("c":{"dtype":"BF16","shape":[2,1],"data_offsets":[0,4]},)"
                                 R"("d":{"dtype":"I64","shape":[],"data_offsets":[4,12]}})",
                                 payload2));
    return folder.path();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static const std::string folder = writeShards();
    lwb::fuzz::scratch().write(lwb::ShardedCheckpoint::kIndexFileName, lwb::fuzz::bytesOf(data, size));
    try {
        // The folder form (index preferred) and the index-file form.
        for (const auto &path : {folder, folder + "/" + lwb::ShardedCheckpoint::kIndexFileName}) {
            const lwb::ShardedCheckpoint checkpoint(path);
            for (const auto &name : checkpoint.names()) {
                (void)checkpoint.info(name).shape.size();
                (void)checkpoint.shardPath(name).size();
                try {
                    (void)checkpoint.load(name).numel();
                } catch (const lwb::Error &) {
                    // "d" is an integer tensor: refused by name, as documented.
                }
            }
        }
    } catch (const lwb::Error &) {
    }
    return 0;
}
