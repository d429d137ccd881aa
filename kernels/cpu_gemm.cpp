// See cpu_gemm.h.
#include "kernels/cpu_gemm.h"

#include <limits>
#include <stdexcept>
#include <type_traits>

#ifdef LWB_HAVE_BLAS
// The Fortran BLAS interface: column-major, every argument by pointer.
extern "C" {
void sgemm_(const char *transa, const char *transb, const int *m, const int *n, const int *k, const float *alpha,
            const float *a, const int *lda, const float *b, const int *ldb, const float *beta, float *c,
            const int *ldc);
void dgemm_(const char *transa, const char *transb, const int *m, const int *n, const int *k, const double *alpha,
            const double *a, const int *lda, const double *b, const int *ldb, const double *beta, double *c,
            const int *ldc);
}
#endif

namespace lwb::kernels {

namespace {

template <typename T>
void gemm(bool transposeA, bool transposeB, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T *a,
          std::int64_t lda, const T *b, std::int64_t ldb, T beta, T *c, std::int64_t ldc)
{
    if (m == 0 || n == 0)
        return;
    // An empty product: C = beta * C, and 0 for beta 0 without reading C (as
    // BLAS). Handled here because BLAS still checks the leading dimensions of
    // the empty operands.
    if (k == 0) {
        for (std::int64_t i = 0; i < m; ++i)
            for (std::int64_t j = 0; j < n; ++j)
                c[i * ldc + j] = beta == T(0) ? T(0) : beta * c[i * ldc + j];
        return;
    }
#ifdef LWB_HAVE_BLAS
    constexpr std::int64_t kMax = std::numeric_limits<int>::max();
    if (m > kMax || n > kMax || k > kMax || lda > kMax || ldb > kMax || ldc > kMax)
        throw std::length_error("gemm sizes exceed the BLAS's 32-bit integers");
    // A row-major C is a column-major C^T = op(B)^T op(A)^T: swap the operands.
    const char opA = transposeB ? 'T' : 'N', opB = transposeA ? 'T' : 'N';
    const int rows = static_cast<int>(n), cols = static_cast<int>(m), inner = static_cast<int>(k);
    const int strideA = static_cast<int>(ldb), strideB = static_cast<int>(lda), strideC = static_cast<int>(ldc);
    if constexpr (std::is_same_v<T, float>)
        sgemm_(&opA, &opB, &rows, &cols, &inner, &alpha, b, &strideA, a, &strideB, &beta, c, &strideC);
    else
        dgemm_(&opA, &opB, &rows, &cols, &inner, &alpha, b, &strideA, a, &strideB, &beta, c, &strideC);
#else
    throw std::logic_error("kernels::gemmRowMajor: this build links no BLAS (check blasGemmAvailable())");
#endif
}

} // namespace

bool blasGemmAvailable()
{
#ifdef LWB_HAVE_BLAS
    return true;
#else
    return false;
#endif
}

void gemmRowMajor(bool transposeA, bool transposeB, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
                  const float *a, std::int64_t lda, const float *b, std::int64_t ldb, float beta, float *c,
                  std::int64_t ldc)
{
    gemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void gemmRowMajor(bool transposeA, bool transposeB, std::int64_t m, std::int64_t n, std::int64_t k, double alpha,
                  const double *a, std::int64_t lda, const double *b, std::int64_t ldb, double beta, double *c,
                  std::int64_t ldc)
{
    gemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void gemmRowMajorReference(bool transposeA, bool transposeB, std::int64_t m, std::int64_t n, std::int64_t k,
                           double alpha, const double *a, std::int64_t lda, const double *b, std::int64_t ldb,
                           double beta, double *c, std::int64_t ldc)
{
    for (std::int64_t i = 0; i < m; ++i) {
        for (std::int64_t j = 0; j < n; ++j) {
            long double sum = 0.0L;
            for (std::int64_t p = 0; p < k; ++p) {
                const double left = transposeA ? a[p * lda + i] : a[i * lda + p];
                const double right = transposeB ? b[j * ldb + p] : b[p * ldb + j];
                sum += static_cast<long double>(left) * right;
            }
            const long double scaled = static_cast<long double>(alpha) * sum;
            c[i * ldc + j]
                = static_cast<double>(beta == 0.0 ? scaled : scaled + static_cast<long double>(beta) * c[i * ldc + j]);
        }
    }
}

} // namespace lwb::kernels
