// SHA-256 over OpenSSL's EVP digest interface. EVP (not the deprecated
// SHA256_Init family) picks the CPU's SHA extensions or AVX2 code at run
// time. OpenSSL reports failures on its error queue; the only ones possible
// here are allocation failures, which become std::runtime_error with
// OpenSSL's reason text.
#include "storage/sha256.h"

#include "engine/core/error.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace lwb::storage {

namespace {

// 1 MiB: large enough that the per-read overhead vanishes next to hashing,
// small enough that hashing a checkpoint costs no noticeable memory.
constexpr std::size_t kFileChunkBytes = std::size_t(1) << 20;

[[noreturn]] void throwOpenSslError(const char *call)
{
    char reason[256] = "unknown error";
    if (const unsigned long code = ERR_get_error(); code != 0)
        ERR_error_string_n(code, reason, sizeof reason);
    ERR_clear_error();
    throw std::runtime_error(std::string("SHA-256: OpenSSL ") + call + " failed: " + reason);
}

} // namespace

void Sha256::ContextDeleter::operator()(evp_md_ctx_st *context) const
{
    EVP_MD_CTX_free(context);
}

Sha256::Sha256()
    : context_(EVP_MD_CTX_new())
{
    if (!context_)
        throwOpenSslError("EVP_MD_CTX_new");
    if (EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr) != 1)
        throwOpenSslError("EVP_DigestInit_ex");
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256 &&) noexcept = default;
Sha256 &Sha256::operator=(Sha256 &&) noexcept = default;

void Sha256::update(const void *data, std::size_t size)
{
    if (finished_ || !context_)
        throw std::logic_error("Sha256::update after finish");
    if (size > 0 && EVP_DigestUpdate(context_.get(), data, size) != 1)
        throwOpenSslError("EVP_DigestUpdate");
}

Sha256::Digest Sha256::finish()
{
    if (finished_ || !context_)
        throw std::logic_error("Sha256::finish called twice");
    Digest digest{};
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(context_.get(), digest.data(), &length) != 1 || length != digest.size())
        throwOpenSslError("EVP_DigestFinal_ex");
    finished_ = true;
    return digest;
}

std::string Sha256::finishHex()
{
    return toHex(finish());
}

std::string toHex(const Sha256::Digest &digest)
{
    static const char kDigits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(digest.size() * 2);
    for (std::uint8_t byte : digest) {
        hex.push_back(kDigits[byte >> 4]);
        hex.push_back(kDigits[byte & 0xf]);
    }
    return hex;
}

std::string sha256Hex(std::string_view bytes)
{
    Sha256 hash;
    hash.update(bytes);
    return hash.finishHex();
}

FileDigest sha256File(const std::string &path)
{
    std::ifstream file(path, std::ios::binary);
    if (!file)
        throw Error(path, std::string("cannot read file: ") + std::strerror(errno));
    Sha256 hash;
    FileDigest result;
    std::vector<char> chunk(kFileChunkBytes);
    while (file) {
        file.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        const std::streamsize got = file.gcount();
        if (got > 0) {
            hash.update(chunk.data(), static_cast<std::size_t>(got));
            result.sizeBytes += got;
        }
    }
    if (file.bad())
        throw Error(path, "read error while hashing the file");
    result.sha256 = hash.finishHex();
    return result;
}

} // namespace lwb::storage
