// SafetensorsReader: mmap, full layout validation, loading into torch.
//
// Validation happens once, in the constructor, in the order the format is
// read: header length, header JSON, each entry, then the layout of all
// entries together. Every arithmetic step on offsets that come from the file
// is checked for overflow, so no crafted value can point outside the mapping.
#include "engine/tensor_io/safetensors_reader.h"

#include "engine/core/error.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors stores little-endian data; big-endian hosts need a byte swap");

namespace lwb {

namespace {

constexpr const char *kMetadataKey = "__metadata__";

std::string singleQuoted(const std::string &name)
{
    return "'" + name + "'";
}

std::string shapeText(const std::vector<std::int64_t> &shape)
{
    std::string text = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

// Reads the JSON header, rejecting duplicate keys, which nlohmann::json would
// otherwise resolve silently by keeping the last one.
nlohmann::json parseHeaderJson(const std::string &path, const char *begin, const char *end)
{
    std::set<std::string> topLevelKeys;
    std::set<std::string> entryKeys;
    std::string currentEntry;
    auto callback = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json &parsed) {
        if (event == nlohmann::json::parse_event_t::key) {
            const std::string key = parsed.get<std::string>();
            if (depth == 1) {
                if (!topLevelKeys.insert(key).second)
                    throw Error(path, "tensor " + singleQuoted(key)
                                          + ": duplicate name in the header (names must be unique)");
                currentEntry = key;
                entryKeys.clear();
            } else if (depth == 2 && !entryKeys.insert(key).second) {
                throw Error(path, "tensor " + singleQuoted(currentEntry) + ": duplicate key \"" + key
                                      + "\" in its header entry");
            }
        }
        return true;
    };
    try {
        return nlohmann::json::parse(begin, end, callback);
    } catch (const nlohmann::json::exception &e) {
        throw Error(path, std::string("header: not valid JSON (") + e.what() + ")");
    }
}

// A non-negative JSON integer, or false.
bool readUnsigned(const nlohmann::json &value, std::uint64_t &out)
{
    if (!value.is_number_unsigned())
        return false;
    out = value.get<std::uint64_t>();
    return true;
}

} // namespace

SafetensorsReader::SafetensorsReader(std::string path)
    : path_(std::move(path))
{
    mapFile();
    try {
        parseHeader();
        validateLayout();
    } catch (...) {
        unmap();
        throw;
    }
}

SafetensorsReader::~SafetensorsReader()
{
    unmap();
}

SafetensorsReader::SafetensorsReader(SafetensorsReader &&other) noexcept
    : path_(std::move(other.path_))
    , mapping_(std::exchange(other.mapping_, nullptr))
    , fileSize_(std::exchange(other.fileSize_, 0))
    , dataStart_(other.dataStart_)
    , tensors_(std::move(other.tensors_))
    , index_(std::move(other.index_))
    , metadata_(std::move(other.metadata_))
{
}

SafetensorsReader &SafetensorsReader::operator=(SafetensorsReader &&other) noexcept
{
    if (this != &other) {
        unmap();
        path_ = std::move(other.path_);
        mapping_ = std::exchange(other.mapping_, nullptr);
        fileSize_ = std::exchange(other.fileSize_, 0);
        dataStart_ = other.dataStart_;
        tensors_ = std::move(other.tensors_);
        index_ = std::move(other.index_);
        metadata_ = std::move(other.metadata_);
    }
    return *this;
}

void SafetensorsReader::unmap() noexcept
{
    if (mapping_ != nullptr)
        ::munmap(const_cast<std::uint8_t *>(mapping_), fileSize_);
    mapping_ = nullptr;
}

void SafetensorsReader::mapFile()
{
    const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw Error(path_, std::string("cannot open: ") + std::strerror(errno));
    struct stat st = {};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        throw Error(path_, std::string("cannot stat: ") + std::strerror(err));
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        throw Error(path_, "not a regular file");
    }
    fileSize_ = static_cast<std::uint64_t>(st.st_size);
    if (fileSize_ < 8) {
        ::close(fd);
        throw Error(path_, "header length: the file is " + std::to_string(fileSize_)
                               + " bytes, too short for the 8-byte header length");
    }
    void *addr = ::mmap(nullptr, fileSize_, PROT_READ, MAP_PRIVATE, fd, 0);
    const int err = errno;
    ::close(fd);
    if (addr == MAP_FAILED)
        throw Error(path_, std::string("cannot mmap: ") + std::strerror(err));
    mapping_ = static_cast<const std::uint8_t *>(addr);
}

void SafetensorsReader::parseHeader()
{
    std::uint64_t headerLength = 0;
    for (int i = 7; i >= 0; --i)
        headerLength = (headerLength << 8) | mapping_[i];
    if (headerLength > kMaxHeaderBytes)
        throw Error(path_, "header length: " + std::to_string(headerLength) + " bytes exceeds the limit of "
                               + std::to_string(kMaxHeaderBytes) + " bytes");
    if (headerLength > fileSize_ - 8)
        throw Error(path_, "header length: " + std::to_string(headerLength) + " bytes runs past the end of the file ("
                               + std::to_string(fileSize_) + " bytes)");
    dataStart_ = 8 + headerLength;

    const char *begin = reinterpret_cast<const char *>(mapping_ + 8);
    const nlohmann::json header = parseHeaderJson(path_, begin, begin + headerLength);
    if (!header.is_object())
        throw Error(path_, std::string("header: not a JSON object (it is a ") + header.type_name() + ")");

    for (const auto &[name, entry] : header.items()) {
        if (name == kMetadataKey) {
            if (!entry.is_object())
                throw Error(path_, "__metadata__: must be a JSON object of strings");
            for (const auto &[key, value] : entry.items()) {
                if (!value.is_string())
                    throw Error(path_,
                                "__metadata__: value of \"" + key + "\" must be a string, not " + value.type_name());
                metadata_[key] = value.get<std::string>();
            }
            continue;
        }
        const std::string where = "tensor " + singleQuoted(name) + ": ";
        if (!entry.is_object())
            throw Error(path_, where + "header entry must be a JSON object");

        SafetensorsTensorInfo info;
        info.name = name;

        const auto dtypeIt = entry.find("dtype");
        if (dtypeIt == entry.end() || !dtypeIt->is_string())
            throw Error(path_, where + "\"dtype\" is missing or not a string");
        const auto dtype = parseSafetensorsDtype(dtypeIt->get<std::string>());
        if (!dtype)
            throw Error(path_, where + "unknown dtype \"" + dtypeIt->get<std::string>() + "\"");
        info.dtype = *dtype;

        const auto shapeIt = entry.find("shape");
        if (shapeIt == entry.end() || !shapeIt->is_array())
            throw Error(path_, where + "\"shape\" is missing or not an array");
        for (const nlohmann::json &dim : *shapeIt) {
            std::uint64_t value = 0;
            if (!readUnsigned(dim, value) || value > static_cast<std::uint64_t>(INT64_MAX))
                throw Error(path_, where + "\"shape\" must hold non-negative integers, found " + dim.dump());
            info.shape.push_back(static_cast<std::int64_t>(value));
        }

        const auto offsetsIt = entry.find("data_offsets");
        if (offsetsIt == entry.end() || !offsetsIt->is_array() || offsetsIt->size() != 2
            || !readUnsigned((*offsetsIt)[0], info.dataBegin) || !readUnsigned((*offsetsIt)[1], info.dataEnd))
            throw Error(path_, where
                                   + "\"data_offsets\" must be [begin, end] of two "
                                     "non-negative integers");
        if (info.dataBegin > info.dataEnd)
            throw Error(path_, where + "data_offsets [" + std::to_string(info.dataBegin) + ", "
                                   + std::to_string(info.dataEnd) + "] have begin > end");

        tensors_.push_back(std::move(info));
    }
}

void SafetensorsReader::validateLayout()
{
    const std::uint64_t dataSize = fileSize_ - dataStart_;

    for (const SafetensorsTensorInfo &info : tensors_) {
        const std::string where = "tensor " + singleQuoted(info.name) + ": ";
        if (info.dataEnd > dataSize)
            throw Error(path_, where + "data_offsets [" + std::to_string(info.dataBegin) + ", "
                                   + std::to_string(info.dataEnd) + "] run outside the data section ("
                                   + std::to_string(dataSize) + " bytes)");
        std::uint64_t expected = safetensorsDtypeSize(info.dtype);
        bool overflow = false;
        for (const std::int64_t dim : info.shape)
            overflow = overflow || __builtin_mul_overflow(expected, static_cast<std::uint64_t>(dim), &expected);
        const std::uint64_t actual = info.dataEnd - info.dataBegin;
        if (overflow || expected != actual)
            throw Error(path_, where + "byte count mismatch: data_offsets span " + std::to_string(actual)
                                   + " bytes but " + safetensorsDtypeName(info.dtype) + " x " + shapeText(info.shape)
                                   + " needs " + (overflow ? std::string("more than 2^64") : std::to_string(expected)));
    }

    // Empty tensors sort before the tensor that starts at the same offset.
    std::stable_sort(tensors_.begin(), tensors_.end(),
                     [](const SafetensorsTensorInfo &a, const SafetensorsTensorInfo &b) {
                         return std::make_pair(a.dataBegin, a.dataEnd) < std::make_pair(b.dataBegin, b.dataEnd);
                     });
    std::uint64_t cursor = 0;
    const SafetensorsTensorInfo *previous = nullptr;
    for (const SafetensorsTensorInfo &info : tensors_) {
        if (info.dataBegin != cursor) {
            const std::string after = previous ? "the previous tensor " + singleQuoted(previous->name) + " ends at "
                                                     + std::to_string(cursor)
                                               : std::string("the data section starts at 0");
            const char *rule = info.dataBegin < cursor ? "tensors overlap" : "tensors are not contiguous";
            throw Error(path_, "tensor " + singleQuoted(info.name) + ": " + rule + ": it starts at "
                                   + std::to_string(info.dataBegin) + " but " + after);
        }
        cursor = info.dataEnd;
        previous = &info;
    }
    if (cursor != dataSize)
        throw Error(path_,
                    "data section: " + std::to_string(dataSize - cursor) + " bytes after "
                        + (previous ? "the last tensor " + singleQuoted(previous->name) : std::string("the header"))
                        + " are not covered by any tensor");

    for (std::size_t i = 0; i < tensors_.size(); ++i)
        index_.emplace(tensors_[i].name, i);
}

std::vector<std::string> SafetensorsReader::names() const
{
    std::vector<std::string> result;
    result.reserve(tensors_.size());
    for (const SafetensorsTensorInfo &info : tensors_)
        result.push_back(info.name);
    return result;
}

bool SafetensorsReader::contains(const std::string &name) const
{
    return index_.count(name) != 0;
}

const SafetensorsTensorInfo &SafetensorsReader::info(const std::string &name) const
{
    const auto it = index_.find(name);
    if (it == index_.end())
        throw Error(path_, "tensor " + singleQuoted(name) + ": not in this file");
    return tensors_[it->second];
}

at::Tensor SafetensorsReader::load(const std::string &name, c10::ScalarType type) const
{
    const SafetensorsTensorInfo &tensor = info(name);
    if (!isLoadableDtype(tensor.dtype))
        throw Error(path_, "tensor " + singleQuoted(name) + ": dtype " + safetensorsDtypeName(tensor.dtype)
                               + " is not supported (LoRA Workbench loads F32, F16 and BF16)");
    if (!c10::isFloatingType(type))
        throw Error(path_,
                    "tensor " + singleQuoted(name) + ": cannot load into non-floating type " + c10::toString(type));
    at::Tensor raw = at::empty(tensor.shape, at::TensorOptions().dtype(torchTypeOf(tensor.dtype)));
    const std::uint64_t bytes = tensor.dataEnd - tensor.dataBegin;
    if (bytes > 0)
        std::memcpy(raw.data_ptr(), mapping_ + dataStart_ + tensor.dataBegin, bytes);
    return raw.scalar_type() == type ? raw : raw.to(type);
}

} // namespace lwb
