// See cpu_gemm.h.
#include "engine/core/cpu_gemm.h"

#include "kernels/cpu_gemm.h"

#include <torch/torch.h>

namespace lwb {

namespace {

// The LibTorch composition, for a build without the kernel's BLAS.
template <typename T>
void torchGemm(bool transposeA, bool transposeB, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T *a,
               std::int64_t lda, const T *b, std::int64_t ldb, T beta, T *c, std::int64_t ldc)
{
    if (m == 0 || n == 0)
        return;
    const auto options = torch::TensorOptions().dtype(c10::CppTypeToScalarType<T>::value);
    auto view = [&](const T *data, bool transpose, std::int64_t rows, std::int64_t cols, std::int64_t stride) {
        // Stored rows x cols with the given row stride; op() is a transposed view.
        const auto stored = transpose ? torch::from_blob(const_cast<T *>(data), {cols, rows}, {stride, 1}, options)
                                      : torch::from_blob(const_cast<T *>(data), {rows, cols}, {stride, 1}, options);
        return transpose ? stored.t() : stored;
    };
    auto out = torch::from_blob(c, {m, n}, {ldc, 1}, options);
    const auto product = torch::mm(view(a, transposeA, m, k, lda), view(b, transposeB, k, n, ldb));
    if (beta == T(0))
        out.copy_(product.mul_(alpha)); // never reads C, as BLAS with beta 0
    else
        out.mul_(beta).add_(product, alpha);
}

template <typename T>
void gemm(bool transposeA, bool transposeB, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T *a,
          std::int64_t lda, const T *b, std::int64_t ldb, T beta, T *c, std::int64_t ldc)
{
    if (kernels::blasGemmAvailable())
        kernels::gemmRowMajor(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    else
        torchGemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

} // namespace

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

} // namespace lwb
