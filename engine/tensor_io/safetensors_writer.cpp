// writeSafetensors: header building and the atomic temp-file + rename write.
#include "engine/tensor_io/safetensors_writer.h"

#include "engine/core/error.h"
#include "engine/tensor_io/atomic_file.h"
#include "engine/tensor_io/dtype.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <set>

namespace lwb {

void writeSafetensors(const std::string &path, const NamedTensors &tensors,
                      const std::map<std::string, std::string> &metadata)
{
    nlohmann::json header = nlohmann::json::object();
    if (!metadata.empty())
        header["__metadata__"] = metadata;

    std::set<std::string> seen;
    std::uint64_t offset = 0;
    for (const auto &[name, tensor] : tensors) {
        const std::string where = "tensor '" + name + "': ";
        if (name == "__metadata__")
            throw Error(path, where + "the name is reserved for the metadata");
        if (!seen.insert(name).second)
            throw Error(path, where + "duplicate name");
        if (!tensor.defined())
            throw Error(path, where + "undefined tensor");
        const auto dtype = safetensorsDtypeOf(tensor.scalar_type());
        if (!dtype)
            throw Error(path, where + "dtype " + std::string(c10::toString(tensor.scalar_type()))
                                  + " is not supported (write float32, float16 or bfloat16)");
        const std::uint64_t bytes = static_cast<std::uint64_t>(tensor.numel()) * safetensorsDtypeSize(*dtype);
        header[name] = {
            {"dtype", safetensorsDtypeName(*dtype)},
            {"shape", tensor.sizes().vec()},
            {"data_offsets", {offset, offset + bytes}},
        };
        offset += bytes;
    }

    std::string headerText = header.dump();
    headerText.append((8 - headerText.size() % 8) % 8, ' ');
    std::uint8_t lengthBytes[8];
    std::uint64_t length = headerText.size();
    for (std::uint8_t &byte : lengthBytes) {
        byte = static_cast<std::uint8_t>(length & 0xff);
        length >>= 8;
    }

    AtomicFile file(path);
    file.write(lengthBytes, sizeof lengthBytes);
    file.write(headerText.data(), headerText.size());
    for (const auto &entry : tensors) {
        const at::Tensor data = entry.second.detach().to(at::kCPU).contiguous();
        file.write(data.data_ptr(), data.numel() * data.element_size());
    }
    file.commit();
}

} // namespace lwb
