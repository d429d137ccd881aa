// Sha256: the SHA-256 hash of FIPS 180-4 (section 6.2), written out here so
// that storage/ needs no crypto library. The run store uses it for config
// hashes (identical configs hash alike) and artifact checksums; it is not
// meant for anything secret (no constant-time claims).
//
// Use: Sha256 h; h.update(bytes); ...; std::string hex = h.finishHex();
// or the one-shot sha256Hex(text) / sha256FileHex(path).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lwb::storage {

class Sha256
{
public:
    using Digest = std::array<std::uint8_t, 32>;

    Sha256();

    void update(const void *data, std::size_t size);
    void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }

    // Pads the message (FIPS 180-4 5.1.1) and returns the digest. The object
    // must not be updated afterwards; construct a new one for a new message.
    Digest finish();
    std::string finishHex();

private:
    void compressBlock(const std::uint8_t *block);

    std::array<std::uint32_t, 8> state_;
    std::array<std::uint8_t, 64> buffer_;
    std::size_t bufferSize_ = 0;
    std::uint64_t messageBytes_ = 0;
};

std::string toHex(const Sha256::Digest &digest);

// SHA-256 of a byte string, lower-case hex.
std::string sha256Hex(std::string_view bytes);

// SHA-256 of a file's content, lower-case hex, and its size. Throws lwb::Error
// naming the file when it cannot be read.
struct FileDigest
{
    std::string sha256;
    std::int64_t sizeBytes = 0;
};
FileDigest sha256File(const std::string &path);

} // namespace lwb::storage
