// What the harnesses share: a scratch folder for readers that take a path,
// and the rule for what counts as a finding.
//
// Readers open files by path, so each input is written to a file in one
// scratch folder per process (in /dev/shm when there is one: no disk I/O per
// execution) and the reader opens that. The folder is removed at exit.
//
// A reader that refuses its input with lwb::Error (or a subclass such as
// ConfigError) did the right thing: the harness returns normally. Anything
// else that escapes (std::out_of_range, nlohmann::json's exceptions,
// c10::Error, ...) reaches std::terminate and libFuzzer reports it as a
// crash with the input, as it does for sanitizer reports, leaks and
// timeouts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>

namespace lwb::fuzz {

class ScratchFolder
{
public:
    ScratchFolder()
    {
        const char *base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
        std::string pattern = std::string(base) + "/lwb-fuzz-XXXXXX";
        if (!mkdtemp(pattern.data()))
            std::abort(); // no scratch space: nothing to fuzz, and not a finding
        path_ = pattern;
    }
    ~ScratchFolder()
    {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    ScratchFolder(const ScratchFolder &) = delete;
    ScratchFolder &operator=(const ScratchFolder &) = delete;

    const std::string &path() const { return path_; }

    // Writes `bytes` to <folder>/<name> (creating sub-folders) and returns the path.
    std::string write(const std::string &name, std::string_view bytes) const
    {
        const auto file = std::filesystem::path(path_) / name;
        std::filesystem::create_directories(file.parent_path());
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        out.close();
        if (!out)
            std::abort();
        return file.string();
    }

    void remove(const std::string &name) const
    {
        std::error_code ignored;
        std::filesystem::remove(std::filesystem::path(path_) / name, ignored);
    }

private:
    std::string path_;
};

// One scratch folder per harness process (per libFuzzer worker).
inline const ScratchFolder &scratch()
{
    static const ScratchFolder folder;
    return folder;
}

inline std::string_view bytesOf(const std::uint8_t *data, std::size_t size)
{
    return {reinterpret_cast<const char *>(data), size};
}

// The committed fixtures (tests/fixtures, resources) some harnesses load once.
inline std::string sourcePath(const std::string &relative)
{
    return std::string(LWB_FUZZ_SOURCE_DIR) + "/" + relative;
}

} // namespace lwb::fuzz
