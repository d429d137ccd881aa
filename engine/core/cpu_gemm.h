// The engine's row-major matrix product on raw CPU buffers:
//
//   C[m, n] = alpha * op(A) op(B) + beta * C,   op(M) = M or M^T
//
// The fast path is kernels/cpu_gemm.h (the BLAS LibTorch itself calls,
// without torch's per-call dispatch, for SiRA's many small per-expert
// products); against a LibTorch that exports no sgemm_ the same call goes
// through the LibTorch composition torch::mm on views of the buffers.
#pragma once

#include <cstdint>

namespace lwb {

// lda, ldb, ldc: row strides (elements) of A, B, C as stored. m, n or k of 0
// is allowed (with k = 0, C = beta * C).
void gemmRowMajor(bool transposeA, bool transposeB, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
                  const float *a, std::int64_t lda, const float *b, std::int64_t ldb, float beta, float *c,
                  std::int64_t ldc);
void gemmRowMajor(bool transposeA, bool transposeB, std::int64_t m, std::int64_t n, std::int64_t k, double alpha,
                  const double *a, std::int64_t lda, const double *b, std::int64_t ldb, double beta, double *c,
                  std::int64_t ldc);

} // namespace lwb
