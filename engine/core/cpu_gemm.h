// Row-major matrix products on raw CPU buffers, straight into the BLAS that
// LibTorch itself calls (the PyTorch wheel's MKL, whose Fortran sgemm_ and
// dgemm_ libtorch_cpu exports).
//
//   C[m, n] = alpha * op(A) op(B) + beta * C,   op(M) = M or M^T
//
// For kernels that run dozens of small products per call (SiRA's per-expert
// blocks): torch::mm on a view costs a few microseconds of dispatch each,
// which at r = 4 columns is as much as the product. Against a LibTorch that
// exports no sgemm_ (LWB_HAVE_BLAS unset), the same calls go through torch::mm.
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
