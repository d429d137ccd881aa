// Fuzzes SafetensorsReader (engine/tensor_io) on one .safetensors file: the
// input is the whole file (8-byte header length, JSON header, data). A file
// the reader accepts is then used the way the loaders use it: every tensor's
// info, the metadata, and each tensor loaded as float32 and bfloat16 (the
// reader has proven its bytes lie inside the file, so the loads are small).
#include "engine/core/error.h"
#include "engine/tensor_io/safetensors_reader.h"
#include "fuzz_support.h"

#include <ATen/ATen.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const auto path = lwb::fuzz::scratch().write("model.safetensors", lwb::fuzz::bytesOf(data, size));
    try {
        const lwb::SafetensorsReader reader(path);
        for (const auto &[key, value] : reader.metadata())
            (void)(key.size() + value.size());
        for (const auto &name : reader.names()) {
            const auto &info = reader.info(name);
            (void)info.shape.size();
            for (const auto type : {c10::ScalarType::Float, c10::ScalarType::BFloat16}) {
                try {
                    const auto tensor = reader.load(name, type);
                    (void)tensor.numel();
                } catch (const lwb::Error &) {
                    // A dtype the engine does not load (I64, BOOL, ...): a clear refusal.
                }
            }
        }
        (void)reader.contains("not a tensor name");
    } catch (const lwb::Error &) {
    }
    return 0;
}
