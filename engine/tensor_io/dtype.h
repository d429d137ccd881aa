// Element types of the safetensors format and their mapping to torch.
//
// The format names every dtype it can store (BOOL, U8, ..., F64); the reader
// must know the size of each to validate a file's layout, even for tensors it
// will not load. Loading is limited to the floating types the engine trains
// with (F32, F16, BF16): anything else is named and rejected at load time, so a
// checkpoint carrying an integer buffer can still be opened and inspected.
#pragma once

#include <c10/core/ScalarType.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace lwb {

enum class SafetensorsDtype {
    Bool,
    U8,
    I8,
    F8E5M2,
    F8E4M3,
    I16,
    U16,
    F16,
    BF16,
    I32,
    U32,
    F32,
    F64,
    I64,
    U64,
};

// The dtype spelled as in a safetensors header ("F32"), or nullopt when the
// name is not one the format defines.
std::optional<SafetensorsDtype> parseSafetensorsDtype(std::string_view name);

// The header spelling of a dtype ("BF16").
std::string safetensorsDtypeName(SafetensorsDtype dtype);

// Bytes per element.
std::size_t safetensorsDtypeSize(SafetensorsDtype dtype);

// True for the dtypes the engine loads into torch tensors: F32, F16, BF16.
bool isLoadableDtype(SafetensorsDtype dtype);

// The torch scalar type of a loadable dtype; throws std::invalid_argument for
// the others (callers check isLoadableDtype() first and report the file).
c10::ScalarType torchTypeOf(SafetensorsDtype dtype);

// The safetensors dtype of a torch scalar type, or nullopt when the writer
// does not store that type (only float32, float16 and bfloat16 are written).
std::optional<SafetensorsDtype> safetensorsDtypeOf(c10::ScalarType type);

} // namespace lwb
