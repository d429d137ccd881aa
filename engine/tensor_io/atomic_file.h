// AtomicFile: a file written under a temporary name beside its target and
// renamed over it only when complete, so a reader sees either the old file or
// the whole new one, never a torn write.
//
// The temporary file (".<name>.tmp-<pid>-<random>" in the target's folder) is
// fsync'ed before the rename and the folder after it, so the new file also
// survives a power cut. Until commit() the temporary is removed on
// destruction (an exception leaves the target untouched). Used by the
// safetensors writer, the sharded writer and every export file.
#pragma once

#include <cstddef>
#include <string>

namespace lwb {

class AtomicFile
{
public:
    // Creates the temporary file; throws lwb::Error naming the target.
    explicit AtomicFile(std::string target);
    ~AtomicFile();

    AtomicFile(const AtomicFile &) = delete;
    AtomicFile &operator=(const AtomicFile &) = delete;

    void write(const void *data, std::size_t size);
    void write(const std::string &text) { write(text.data(), text.size()); }
    // fsync, close, rename over the target, fsync the folder.
    void commit();

private:
    [[noreturn]] void fail(const std::string &what) const;

    std::string target_;
    std::string dir_;
    std::string path_;
    int fd_ = -1;
    bool committed_ = false;
};

// The whole of `contents` as `path`, atomically.
void writeFileAtomically(const std::string &path, const std::string &contents);

} // namespace lwb
