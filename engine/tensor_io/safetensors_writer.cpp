// writeSafetensors: header building and the atomic temp-file + rename write.
#include "engine/tensor_io/safetensors_writer.h"

#include "engine/core/error.h"
#include "engine/tensor_io/dtype.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <random>
#include <set>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lwb {

namespace {

// An open temporary file that is removed unless commit() renamed it.
class TempFile
{
public:
    explicit TempFile(const std::string &target)
        : target_(target)
    {
        const std::size_t slash = target.rfind('/');
        dir_ = slash == std::string::npos ? "." : target.substr(0, slash == 0 ? 1 : slash);
        const std::string base = slash == std::string::npos ? target : target.substr(slash + 1);
        std::random_device random;
        for (int attempt = 0; attempt < 16 && fd_ < 0; ++attempt) {
            path_ = dir_ + "/." + base + ".tmp-" + std::to_string(::getpid()) + "-"
                    + std::to_string(random());
            fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            if (fd_ < 0 && errno != EEXIST)
                break;
        }
        if (fd_ < 0)
            fail("cannot create a temporary file in " + dir_);
    }

    ~TempFile()
    {
        if (fd_ >= 0)
            ::close(fd_);
        if (!committed_)
            ::unlink(path_.c_str());
    }

    TempFile(const TempFile &) = delete;
    TempFile &operator=(const TempFile &) = delete;

    void write(const void *data, std::size_t size)
    {
        const auto *bytes = static_cast<const char *>(data);
        while (size > 0) {
            const ssize_t written = ::write(fd_, bytes, size);
            if (written < 0) {
                if (errno == EINTR)
                    continue;
                fail("write failed");
            }
            bytes += written;
            size -= static_cast<std::size_t>(written);
        }
    }

    void commit()
    {
        if (::fsync(fd_) != 0)
            fail("fsync failed");
        if (::close(fd_) != 0) {
            fd_ = -1;
            fail("close failed");
        }
        fd_ = -1;
        if (::rename(path_.c_str(), target_.c_str()) != 0)
            fail("rename of the temporary file failed");
        committed_ = true;
        // Make the rename itself durable; a failure here leaves a correct file.
        const int dirFd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirFd >= 0) {
            ::fsync(dirFd);
            ::close(dirFd);
        }
    }

private:
    [[noreturn]] void fail(const std::string &what) const
    {
        throw Error(target_, what + ": " + std::strerror(errno));
    }

    std::string target_;
    std::string dir_;
    std::string path_;
    int fd_ = -1;
    bool committed_ = false;
};

} // namespace

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
        const std::uint64_t bytes = static_cast<std::uint64_t>(tensor.numel())
                                    * safetensorsDtypeSize(*dtype);
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

    TempFile file(path);
    file.write(lengthBytes, sizeof lengthBytes);
    file.write(headerText.data(), headerText.size());
    for (const auto &entry : tensors) {
        const at::Tensor data = entry.second.detach().to(at::kCPU).contiguous();
        file.write(data.data_ptr(), data.numel() * data.element_size());
    }
    file.commit();
}

} // namespace lwb
