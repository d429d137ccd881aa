// See dropout_mask.h.
#include "kernels/dropout_mask.h"

#include <cmath>

namespace lwb::kernels {

namespace {

// Chris Wellons' triple32 (hash-prospector): a 32-bit permutation with
// near-ideal avalanche (bias ~0.021, the lowest of the three-round hashes
// found).
inline std::uint32_t triple32(std::uint32_t x)
{
    x ^= x >> 17;
    x *= 0xed5ad4bbu;
    x ^= x >> 11;
    x *= 0xac4c1b51u;
    x ^= x >> 15;
    x *= 0x31848babu;
    x ^= x >> 14;
    return x;
}

// Two keyed rounds: the low word of the index is hashed with one half of the
// key, its high word and the other half enter before the second round, so
// masks of over 2^32 elements do not repeat and nearby keys give unrelated
// masks.
inline std::uint32_t keepBits(std::uint32_t keyLow, std::uint32_t keyHigh, std::uint64_t index)
{
    const auto low = static_cast<std::uint32_t>(index);
    const auto high = static_cast<std::uint32_t>(index >> 32);
    return triple32(triple32(low ^ keyLow) + (keyHigh ^ high * 0x9e3779b9u));
}

// GCC clones fillMask per instruction set; clang (14) cannot multiversion a
// template, so its builds (the fuzzers) keep the default target only.
#if defined(__clang__)
#define LWB_MASK_TARGET_CLONES
#else
#define LWB_MASK_TARGET_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif

// keep when bits >= threshold, threshold = round(p * 2^32): P(keep) = 1 - p
// to within 2^-32.
template <typename T>
LWB_MASK_TARGET_CLONES void fillMask(T *mask, std::int64_t count, std::uint32_t keyLow, std::uint32_t keyHigh,
                                     std::uint64_t offset, std::uint32_t threshold, T scale)
{
    for (std::int64_t i = 0; i < count; ++i)
        mask[i] = keepBits(keyLow, keyHigh, offset + static_cast<std::uint64_t>(i)) >= threshold ? scale : T(0);
}

std::uint32_t thresholdOf(double p)
{
    const double scaled = std::round(p * 4294967296.0);
    return scaled >= 4294967295.0 ? 0xffffffffu : static_cast<std::uint32_t>(scaled);
}

} // namespace

std::uint32_t dropoutKeepBitsReference(std::uint64_t key, std::uint64_t index)
{
    return keepBits(static_cast<std::uint32_t>(key), static_cast<std::uint32_t>(key >> 32), index);
}

void dropoutKeepMask(float *mask, std::int64_t count, std::uint64_t key, std::uint64_t offset, double p)
{
    fillMask(mask, count, static_cast<std::uint32_t>(key), static_cast<std::uint32_t>(key >> 32), offset,
             thresholdOf(p), static_cast<float>(1.0 / (1.0 - p)));
}

void dropoutKeepMask(double *mask, std::int64_t count, std::uint64_t key, std::uint64_t offset, double p)
{
    fillMask(mask, count, static_cast<std::uint32_t>(key), static_cast<std::uint32_t>(key >> 32), offset,
             thresholdOf(p), 1.0 / (1.0 - p));
}

} // namespace lwb::kernels
