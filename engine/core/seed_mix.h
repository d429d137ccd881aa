// Seed mixing: the few integer functions that turn (run seed, index) into
// the seed of one random stream. One copy here, because the workbench's
// promise that a seed gives the same data order, examples, dropout masks and
// lexicon split on every machine rests on these exact bits; a run recorded
// last month must replay after any refactor. Changing a constant or an
// operation below changes every seeded result: don't.
//
// SplitMix64 is Steele, Lea & Flood, "Fast splittable pseudorandom number
// generators" (OOPSLA 2014), with the finaliser constants of Java's
// SplittableRandom (mix64 variant 13). FNV-1a is Fowler/Noll/Vo's 64-bit hash.
// Header-only and constexpr, torch-free: the text-data library uses it too.
#pragma once

#include <cstdint>
#include <string_view>

namespace lwb {

// 2^64 / golden ratio, odd: SplitMix64's increment ("gamma").
inline constexpr std::uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ULL;

// SplitMix64's output function (mix64 variant 13): a bijection of 64-bit
// words in which every input bit affects every output bit.
constexpr std::uint64_t splitMix64Finalise(std::uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// One SplitMix64 step from `state`: the first output of a generator whose
// state is `state`. Used to decorrelate nearby seeds and indices.
constexpr std::uint64_t splitMix64(std::uint64_t state)
{
    return splitMix64Finalise(state + kGoldenGamma);
}

// The SplitMix64 generator: a platform-independent stream of 64-bit words
// (std::mt19937_64 is portable too, but std::shuffle's and distributions'
// use of it is not specified, so orders are drawn from this directly).
class SplitMix64
{
public:
    constexpr explicit SplitMix64(std::uint64_t state)
        : state_(state)
    {
    }

    constexpr std::uint64_t next()
    {
        state_ += kGoldenGamma;
        return splitMix64Finalise(state_);
    }

private:
    std::uint64_t state_;
};

// The seed of stream `index` (a training step, an epoch) of a run seeded
// `seed`, for a LibTorch generator: a function of (seed, index) only. Two
// indices below 2^32 of one seed differ even in the low 32 bits, which are
// all that LibTorch's CPU generator keeps (mt19937's init_with_uint32).
constexpr std::uint64_t streamSeed(std::uint64_t seed, std::uint64_t index)
{
    return seed * kGoldenGamma + index + 1;
}

// 64-bit FNV-1a of `bytes`, starting from `basis` (the standard offset basis
// unless a caller folds a seed into it).
inline constexpr std::uint64_t kFnv1aOffsetBasis = 0xcbf29ce484222325ULL;

constexpr std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t basis = kFnv1aOffsetBasis)
{
    std::uint64_t h = basis;
    for (const char c : bytes) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    return h;
}

} // namespace lwb
