// See atomic_file.h.
#include "engine/tensor_io/atomic_file.h"

#include "engine/core/error.h"

#include <cerrno>
#include <cstring>
#include <random>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lwb {

AtomicFile::AtomicFile(std::string target)
    : target_(std::move(target))
{
    const std::size_t slash = target_.rfind('/');
    dir_ = slash == std::string::npos ? "." : target_.substr(0, slash == 0 ? 1 : slash);
    const std::string base = slash == std::string::npos ? target_ : target_.substr(slash + 1);
    std::random_device random;
    for (int attempt = 0; attempt < 16 && fd_ < 0; ++attempt) {
        path_ = dir_ + "/." + base + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(random());
        fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd_ < 0 && errno != EEXIST)
            break;
    }
    if (fd_ < 0)
        fail("cannot create a temporary file in " + dir_);
}

AtomicFile::~AtomicFile()
{
    if (fd_ >= 0)
        ::close(fd_);
    if (!committed_)
        ::unlink(path_.c_str());
}

void AtomicFile::write(const void *data, std::size_t size)
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

void AtomicFile::commit()
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

void AtomicFile::fail(const std::string &what) const
{
    throw Error(target_, what + ": " + std::strerror(errno));
}

void writeFileAtomically(const std::string &path, const std::string &contents)
{
    AtomicFile file(path);
    file.write(contents);
    file.commit();
}

} // namespace lwb
