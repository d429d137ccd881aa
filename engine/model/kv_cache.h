// KvCache: the keys and values every attention layer computed for the
// positions a decoder has already run, so that each new token costs one
// position's forward instead of the whole sequence's.
//
// Per layer, keys and values are [B, kv_heads, T, head_dim]: after rotary
// (Llama's keys are rotated at their absolute positions when they are
// computed, so a cached key never needs rotating again) and before grouped-
// query attention repeats them, so a GQA model caches num_kv_heads heads,
// not num_heads. The rows are the batch's sequences, all of one length (the
// callers decode groups of equal-length prompts, without padding).
// Training never uses a cache.
#pragma once

#include <torch/types.h>

#include <vector>

namespace lwb {

struct LayerKv
{
    torch::Tensor keys;   // [B, kv_heads, T, head_dim]; undefined before the first forward
    torch::Tensor values; // the same shape
};

class KvCache
{
public:
    explicit KvCache(std::int64_t layers) : layers_(static_cast<std::size_t>(layers)) {}

    // Positions held (the same in every layer); the next token's position.
    std::int64_t length() const { return layers_.front().keys.defined() ? layers_.front().keys.size(2) : 0; }

    LayerKv &layer(std::int64_t index) { return layers_.at(static_cast<std::size_t>(index)); }

private:
    std::vector<LayerKv> layers_;
};

} // namespace lwb
