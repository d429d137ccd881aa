// KvCache: the keys and values every attention layer computed for the
// positions a decoder has already run, so that each new token costs one
// position's forward instead of the whole sequence's.
//
// Per layer, keys and values are [B, kv_heads, T, head_dim]: after rotary
// (Llama's keys are rotated at their absolute positions when they are
// computed, so a cached key never needs rotating again) and before grouped-
// query attention repeats them, so a GQA model caches num_kv_heads heads,
// not num_heads. The rows are the batch's sequences. Prompts of different
// lengths are left-padded (generation.h): then the cache also keeps which
// positions are real (padding is never attended to) and each row's next
// position id (a row's first real token has position 0, as transformers'
// position_ids = cumsum(attention_mask) - 1). Without padding both stay
// undefined and a pass costs what it did before padding existed.
// Training never uses a cache.
#pragma once

#include <torch/types.h>

#include <vector>

namespace lwb {

struct LayerKv
{
    torch::Tensor keys;   // [B, kv_heads, T, head_dim]; undefined before the first forward
    torch::Tensor values; // the same shape
    // [B, past + T] bool, true for real positions, including the pass being
    // run; undefined = every position is real. Set by CausalLM before a pass.
    torch::Tensor realKeys;
};

class KvCache
{
public:
    explicit KvCache(std::int64_t layers)
        : layers_(static_cast<std::size_t>(layers))
    {
    }

    // Positions held (the same in every layer); the next token's position.
    std::int64_t length() const { return layers_.front().keys.defined() ? layers_.front().keys.size(2) : 0; }

    LayerKv &layer(std::int64_t index) { return layers_.at(static_cast<std::size_t>(index)); }
    std::int64_t layers() const { return static_cast<std::int64_t>(layers_.size()); }

    // Padding (left-padded batches): [B, length()] bool real positions and
    // [B] int64 the next position id of each row; undefined = no padding.
    torch::Tensor realKeys;
    torch::Tensor nextPositions;

private:
    std::vector<LayerKv> layers_;
};

} // namespace lwb
