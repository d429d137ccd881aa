// Sha256: SHA-256 (FIPS 180-4) through OpenSSL's libcrypto (EVP interface),
// the maintained, hardware-accelerated implementation Debian ships, instead
// of one written here. The run store uses it for config hashes (identical
// configs hash alike) and artifact checksums (`sha256sum` agrees); nothing
// secret goes through it.
//
// Use: Sha256 h; h.update(bytes); ...; std::string hex = h.finishHex();
// or the one-shot sha256Hex(text) / sha256File(path), which streams the file
// in fixed-size chunks, so a multi-gigabyte checkpoint needs no more memory
// than one chunk. OpenSSL stays out of this header (the context is only
// forward-declared), so users of storage/ do not see its headers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st; // OpenSSL's EVP_MD_CTX

namespace lwb::storage {

class Sha256
{
public:
    using Digest = std::array<std::uint8_t, 32>;

    Sha256();
    ~Sha256();
    Sha256(Sha256 &&) noexcept;
    Sha256 &operator=(Sha256 &&) noexcept;
    Sha256(const Sha256 &) = delete;
    Sha256 &operator=(const Sha256 &) = delete;

    void update(const void *data, std::size_t size);
    void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }

    // Pads the message and returns the digest. The object must not be
    // updated or finished again afterwards (std::logic_error if it is);
    // construct a new one for a new message.
    Digest finish();
    std::string finishHex();

private:
    struct ContextDeleter
    {
        void operator()(evp_md_ctx_st *context) const;
    };
    std::unique_ptr<evp_md_ctx_st, ContextDeleter> context_;
    bool finished_ = false;
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
