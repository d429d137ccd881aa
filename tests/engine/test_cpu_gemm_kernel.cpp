// kernels/cpu_gemm (the BLAS fast path) against its plain-loop reference
// (gemmRowMajorReference, long double accumulation): every transpose
// combination, row strides wider than the matrices whose padding must stay
// untouched, beta 0 (C not read: NaN there must not leak) and beta 0.5,
// k = 0, in float64 and float32. Skipped where the build links no BLAS (the
// engine then uses torch::mm, tested by test_cpu_gemm).
#include "kernels/cpu_gemm.h"

#include <QtTest>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace {

struct Case
{
    bool transposeA, transposeB;
    std::int64_t m, n, k;
    double beta;
};

// Stored rows x stride, the first `cols` of each row used.
std::vector<double> randomBuffer(std::int64_t rows, std::int64_t stride, std::mt19937 &random)
{
    std::normal_distribution<double> normal;
    std::vector<double> values(static_cast<std::size_t>(std::max<std::int64_t>(rows * stride, 1)));
    for (auto &value : values)
        value = normal(random);
    return values;
}

// The largest |kernel - reference| over C, relative to the largest |reference|;
// -1 when the padding of C changed.
template <typename T> double worstError(const Case &c, std::mt19937 &random)
{
    const auto aRows = c.transposeA ? c.k : c.m, aCols = c.transposeA ? c.m : c.k;
    const auto bRows = c.transposeB ? c.n : c.k, bCols = c.transposeB ? c.k : c.n;
    const auto lda = aCols + 3, ldb = bCols + 2, ldc = c.n + 5;
    const auto a = randomBuffer(aRows, lda, random), b = randomBuffer(bRows, ldb, random);
    auto cStart = randomBuffer(c.m, ldc, random);
    if (c.beta == 0.0)
        for (std::int64_t i = 0; i < c.m; ++i)
            for (std::int64_t j = 0; j < c.n; ++j)
                cStart[i * ldc + j] = std::numeric_limits<double>::quiet_NaN();

    std::vector<T> aT(a.begin(), a.end()), bT(b.begin(), b.end()), cT(cStart.begin(), cStart.end());
    lwb::kernels::gemmRowMajor(c.transposeA, c.transposeB, c.m, c.n, c.k, T(1.5), aT.data(), lda, bT.data(), ldb,
                               T(c.beta), cT.data(), ldc);
    // The reference on the operands as the kernel saw them (rounded to T).
    std::vector<double> aSeen(aT.begin(), aT.end()), bSeen(bT.begin(), bT.end());
    std::vector<double> cSeen(cStart.size());
    for (std::size_t i = 0; i < cStart.size(); ++i)
        cSeen[i] = static_cast<double>(static_cast<T>(cStart[i]));
    auto expected = cSeen;
    lwb::kernels::gemmRowMajorReference(c.transposeA, c.transposeB, c.m, c.n, c.k, 1.5, aSeen.data(), lda, bSeen.data(),
                                        ldb, c.beta, expected.data(), ldc);
    double worst = 0.0, scale = 1e-300;
    for (std::int64_t i = 0; i < c.m; ++i) {
        for (std::int64_t j = 0; j < ldc; ++j) {
            const auto at = static_cast<std::size_t>(i * ldc + j);
            if (j >= c.n) {
                if (static_cast<double>(cT[at]) != cSeen[at])
                    return -1.0;
                continue;
            }
            worst = std::max(worst, std::abs(static_cast<double>(cT[at]) - expected[at]));
            scale = std::max(scale, std::abs(expected[at]));
        }
    }
    return worst / scale;
}

} // namespace

class TestCpuGemmKernel : public QObject
{
    Q_OBJECT

private slots:
    void blasAgainstTheLoopReference()
    {
        if (!lwb::kernels::blasGemmAvailable())
            QSKIP("this build links no BLAS (LibTorch exports no sgemm_): the engine uses torch::mm");
        std::mt19937 random(7);
        for (const bool transposeA : {false, true}) {
            for (const bool transposeB : {false, true}) {
                for (const double beta : {0.0, 0.5}) {
                    for (const auto [m, n, k] :
                         {std::array<std::int64_t, 3>{5, 4, 7}, {1, 9, 3}, {33, 4, 128}, {6, 2, 0}}) {
                        const Case c{transposeA, transposeB, m, n, k, beta};
                        const QByteArray where = QByteArray("transposeA ") + (transposeA ? "1" : "0") + " transposeB "
                                                 + (transposeB ? "1" : "0") + " beta " + QByteArray::number(beta)
                                                 + " m n k " + QByteArray::number(m) + " " + QByteArray::number(n) + " "
                                                 + QByteArray::number(k);
                        // float64: a few ulps of the largest entry times sqrt(k)
                        // for the BLAS's blocked summation order; float32 the same
                        // with float's epsilon.
                        const double bound = [&](double epsilon) {
                            return 4.0 * epsilon * std::sqrt(double(k) + 1.0);
                        }(std::numeric_limits<double>::epsilon());
                        const double errorDouble = worstError<double>(c, random);
                        QVERIFY2(errorDouble >= 0.0, where + ": the padding of C changed (float64)");
                        QVERIFY2(errorDouble <= bound, where + ": float64 error " + QByteArray::number(errorDouble));
                        const double errorFloat = worstError<float>(c, random);
                        QVERIFY2(errorFloat >= 0.0, where + ": the padding of C changed (float32)");
                        QVERIFY2(errorFloat <= 4.0 * std::numeric_limits<float>::epsilon() * std::sqrt(double(k) + 1.0),
                                 where + ": float32 error " + QByteArray::number(errorFloat));
                    }
                }
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestCpuGemmKernel)
#include "test_cpu_gemm_kernel.moc"
