// Row-major matrix products on raw CPU buffers, straight into the BLAS that
// LibTorch itself calls (the PyTorch wheel's MKL, whose Fortran sgemm_ and
// dgemm_ libtorch_cpu exports; the engine's build checks for them and sets
// LWB_HAVE_BLAS on this file).
//
//   C[m, n] = alpha * op(A) op(B) + beta * C,   op(M) = M or M^T
//
// For kernels that run dozens of small products per call (SiRA's per-expert
// blocks): torch::mm on a view costs a few microseconds of dispatch each,
// which at r = 4 columns is as much as the product. The engine's interface
// (engine/core/cpu_gemm.h) calls this when blasGemmAvailable() and keeps
// torch::mm as its fallback.
//
// Reference: gemmRowMajorReference, the same product as plain loops with a
// long double accumulator (tests/engine/test_cpu_gemm_kernel.cpp).
#pragma once

#include <cstdint>

namespace lwb::kernels {

// Whether this build links a BLAS (LibTorch exports sgemm_/dgemm_).
bool blasGemmAvailable();

// lda, ldb, ldc: row strides (elements) of A, B, C as stored. m, n or k of 0
// is allowed (with k = 0, C = beta * C, and 0 for beta 0 without reading C).
// Throws std::logic_error without a BLAS, std::length_error when a size or
// stride exceeds the BLAS's 32-bit integers.
void gemmRowMajor(bool transposeA, bool transposeB, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
                  const float *a, std::int64_t lda, const float *b, std::int64_t ldb, float beta, float *c,
                  std::int64_t ldc);
void gemmRowMajor(bool transposeA, bool transposeB, std::int64_t m, std::int64_t n, std::int64_t k, double alpha,
                  const double *a, std::int64_t lda, const double *b, std::int64_t ldb, double beta, double *c,
                  std::int64_t ldc);

// The same contract as plain loops, every dot product accumulated in long
// double: the reference the BLAS path is tested against.
void gemmRowMajorReference(bool transposeA, bool transposeB, std::int64_t m, std::int64_t n, std::int64_t k,
                           double alpha, const double *a, std::int64_t lda, const double *b, std::int64_t ldb,
                           double beta, double *c, std::int64_t ldc);

} // namespace lwb::kernels
