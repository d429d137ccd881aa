// SafetensorsReader: opens one .safetensors file by mmap, validates its whole
// layout up front and loads single tensors into torch.
//
// Format (https://huggingface.co/docs/safetensors): 8 bytes little-endian
// header length N, N bytes of UTF-8 JSON, then the data section. The header
// maps tensor names to {"dtype", "shape", "data_offsets": [begin, end]}
// (offsets relative to the data section) plus an optional "__metadata__"
// object of string to string.
//
// Invariant once the constructor returns: every tensor's bytes lie inside the
// mapped data section, tensors are contiguous, do not overlap and cover the
// data section exactly, and each byte count equals dtype size x shape product.
// A file that breaks any rule throws lwb::Error naming the file, the tensor and
// the rule, before any tensor byte is read. load() only copies bytes already
// proven to be inside the mapping. (A file truncated by another process while
// mapped can still raise SIGBUS; the reader cannot guard against that.)
#pragma once

#include "engine/tensor_io/dtype.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace lwb {

// Where one tensor lives in a safetensors file.
struct SafetensorsTensorInfo
{
    std::string name;
    SafetensorsDtype dtype = SafetensorsDtype::F32;
    std::vector<std::int64_t> shape;
    std::uint64_t dataBegin = 0; // offsets into the data section
    std::uint64_t dataEnd = 0;
};

class SafetensorsReader
{
public:
    // Largest header accepted (the limit the reference implementation uses).
    static constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

    // Maps and validates the file; throws lwb::Error on any problem.
    explicit SafetensorsReader(std::string path);
    ~SafetensorsReader();

    SafetensorsReader(SafetensorsReader &&other) noexcept;
    SafetensorsReader &operator=(SafetensorsReader &&other) noexcept;
    SafetensorsReader(const SafetensorsReader &) = delete;
    SafetensorsReader &operator=(const SafetensorsReader &) = delete;

    const std::string &path() const { return path_; }

    // Tensor names in data-section order.
    std::vector<std::string> names() const;
    bool contains(const std::string &name) const;
    // Throws lwb::Error naming the file and the tensor when absent.
    const SafetensorsTensorInfo &info(const std::string &name) const;
    const std::map<std::string, std::string> &metadata() const { return metadata_; }

    // A fresh CPU tensor (it owns its memory, the mapping may be closed
    // afterwards) holding the named tensor converted to `type`, which must be
    // a floating type (float32, bfloat16, float16). Tensors stored in a dtype
    // other than F32/F16/BF16 throw lwb::Error naming the dtype.
    at::Tensor load(const std::string &name, c10::ScalarType type = c10::ScalarType::Float) const;

private:
    void mapFile();
    void parseHeader();
    void validateLayout();
    void unmap() noexcept;

    std::string path_;
    const std::uint8_t *mapping_ = nullptr;
    std::uint64_t fileSize_ = 0;
    std::uint64_t dataStart_ = 0;                // 8 + header length
    std::vector<SafetensorsTensorInfo> tensors_; // sorted by data offset
    std::unordered_map<std::string, std::size_t> index_;
    std::map<std::string, std::string> metadata_;
};

} // namespace lwb
