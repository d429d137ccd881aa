// Inverted-dropout keep masks from a counter-based generator, for the
// adapters' input dropout (PEFT's lora_dropout) on the CPU.
//
//   mask[i] = 1 / (1 - p)  if u(key, offset + i) >= p,  else 0
//
// u is a uniform draw with 32 random bits: element i's bits are a hash of
// (key, i) alone (Wellons' triple32, twice, keyed), so any split of [0, n)
// over threads fills the same mask, and one 64-bit key drawn from torch's
// generator makes the mask as reproducible as any other torch draw.
// Why not torch: on the CPU torch draws uniforms (rand_like) and Bernoulli
// numbers (bernoulli_, hence torch.nn.Dropout) one element at a time, on one
// thread: 1.7 ms for a 1024 x 704 input, which made dropout ~15 % of a LoRA
// training step on the engine's small Llama (tests/bench/bench_vs_peer.py).
// Here the loop has no carried state, so it vectorises (AVX-512, AVX2 or
// SSE2, chosen when the library loads) and runs on every thread.
//
// Reference: dropoutKeepBitsReference, the same hash written element by
// element (tests/engine/test_dropout_mask.cpp checks both, and the mask's
// statistics).
#pragma once

#include <cstdint>

namespace lwb::kernels {

// The 32 random bits of element `index` under `key`.
std::uint32_t dropoutKeepBitsReference(std::uint64_t key, std::uint64_t index);

// mask[i] for i in [0, count), elements offset .. offset + count - 1 of the
// mask under `key`; p in [0, 1).
void dropoutKeepMask(float *mask, std::int64_t count, std::uint64_t key, std::uint64_t offset, double p);
void dropoutKeepMask(double *mask, std::int64_t count, std::uint64_t key, std::uint64_t offset, double p);

} // namespace lwb::kernels
