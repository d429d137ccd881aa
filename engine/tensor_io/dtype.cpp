// Element types of the safetensors format: names, sizes, torch mapping.
#include "engine/tensor_io/dtype.h"

#include <array>
#include <stdexcept>

namespace lwb {

namespace {

struct DtypeRow
{
    SafetensorsDtype dtype;
    const char *name;
    std::size_t size;
};

// The dtypes of the safetensors specification, with their element sizes.
constexpr std::array<DtypeRow, 15> kDtypeTable = {{
    {SafetensorsDtype::Bool, "BOOL", 1},
    {SafetensorsDtype::U8, "U8", 1},
    {SafetensorsDtype::I8, "I8", 1},
    {SafetensorsDtype::F8E5M2, "F8_E5M2", 1},
    {SafetensorsDtype::F8E4M3, "F8_E4M3", 1},
    {SafetensorsDtype::I16, "I16", 2},
    {SafetensorsDtype::U16, "U16", 2},
    {SafetensorsDtype::F16, "F16", 2},
    {SafetensorsDtype::BF16, "BF16", 2},
    {SafetensorsDtype::I32, "I32", 4},
    {SafetensorsDtype::U32, "U32", 4},
    {SafetensorsDtype::F32, "F32", 4},
    {SafetensorsDtype::F64, "F64", 8},
    {SafetensorsDtype::I64, "I64", 8},
    {SafetensorsDtype::U64, "U64", 8},
}};

const DtypeRow &rowOf(SafetensorsDtype dtype)
{
    for (const DtypeRow &row : kDtypeTable) {
        if (row.dtype == dtype)
            return row;
    }
    throw std::invalid_argument("unknown lwb::SafetensorsDtype value");
}

} // namespace

std::optional<SafetensorsDtype> parseSafetensorsDtype(std::string_view name)
{
    for (const DtypeRow &row : kDtypeTable) {
        if (name == row.name)
            return row.dtype;
    }
    return std::nullopt;
}

std::string safetensorsDtypeName(SafetensorsDtype dtype)
{
    return rowOf(dtype).name;
}

std::size_t safetensorsDtypeSize(SafetensorsDtype dtype)
{
    return rowOf(dtype).size;
}

bool isLoadableDtype(SafetensorsDtype dtype)
{
    return dtype == SafetensorsDtype::F32 || dtype == SafetensorsDtype::F16 || dtype == SafetensorsDtype::BF16;
}

c10::ScalarType torchTypeOf(SafetensorsDtype dtype)
{
    switch (dtype) {
    case SafetensorsDtype::F32:
        return c10::ScalarType::Float;
    case SafetensorsDtype::F16:
        return c10::ScalarType::Half;
    case SafetensorsDtype::BF16:
        return c10::ScalarType::BFloat16;
    default:
        throw std::invalid_argument("safetensors dtype " + safetensorsDtypeName(dtype)
                                    + " has no torch mapping in LoRA Workbench");
    }
}

std::optional<SafetensorsDtype> safetensorsDtypeOf(c10::ScalarType type)
{
    switch (type) {
    case c10::ScalarType::Float:
        return SafetensorsDtype::F32;
    case c10::ScalarType::Half:
        return SafetensorsDtype::F16;
    case c10::ScalarType::BFloat16:
        return SafetensorsDtype::BF16;
    default:
        return std::nullopt;
    }
}

} // namespace lwb
