// gemmRowMajor (engine/core/cpu_gemm.h) against torch::mm: every transpose
// combination, row strides wider than the matrices, beta 0 and 1, k = 0, in
// float32 and float64. SiRA's expert blocks call it with raw pointers; the
// operand swap that maps row-major onto the column-major BLAS is easy to get
// subtly wrong in one combination only.
#include "engine/core/cpu_gemm.h"

#include <QtTest>

#include <torch/torch.h>

namespace {

// A [rows, cols] view of a wider [rows, stride] buffer: the padding columns
// must be neither read nor written.
torch::Tensor padded(std::int64_t rows, std::int64_t cols, std::int64_t stride, torch::Dtype dtype)
{
    return torch::randn({rows, stride}, dtype).narrow(1, 0, cols);
}

template <typename T>
void checkProduct(bool transposeA, bool transposeB, std::int64_t m, std::int64_t n, std::int64_t k, double beta,
                  torch::Dtype dtype, double tolerance)
{
    // Stored shapes: op(A) is [m, k], so A is [k, m] when transposed.
    const auto a = transposeA ? padded(k, m, m + 3, dtype) : padded(m, k, k + 3, dtype);
    const auto b = transposeB ? padded(n, k, k + 2, dtype) : padded(k, n, n + 2, dtype);
    auto cBuffer = torch::randn({m, n + 5}, dtype);
    const auto before = cBuffer.clone();
    auto c = cBuffer.narrow(1, 0, n);
    const double alpha = 0.75;
    const auto expected = alpha * torch::mm(transposeA ? a.t() : a, transposeB ? b.t() : b) + beta * c;

    lwb::gemmRowMajor(transposeA, transposeB, m, n, k, static_cast<T>(alpha), a.data_ptr<T>(), a.stride(0),
                      b.data_ptr<T>(), b.stride(0), static_cast<T>(beta), c.data_ptr<T>(), c.stride(0));
    const auto error = (c - expected).abs().max().item<double>();
    QVERIFY2(error <= tolerance, qPrintable(QStringLiteral("opA %1 opB %2 m %3 n %4 k %5 beta %6: error %7")
                                                .arg(transposeA)
                                                .arg(transposeB)
                                                .arg(m)
                                                .arg(n)
                                                .arg(k)
                                                .arg(beta)
                                                .arg(error)));
    QVERIFY(torch::equal(cBuffer.narrow(1, n, 5), before.narrow(1, n, 5))); // padding untouched
}

} // namespace

class TestCpuGemm : public QObject
{
    Q_OBJECT

private slots:
    void init() { torch::manual_seed(7); }

    void matchesTorchMm()
    {
        for (bool transposeA : {false, true}) {
            for (bool transposeB : {false, true}) {
                for (double beta : {0.0, 1.0}) {
                    checkProduct<double>(transposeA, transposeB, 7, 5, 9, beta, torch::kFloat64, 1e-13);
                    checkProduct<float>(transposeA, transposeB, 7, 5, 9, beta, torch::kFloat32, 1e-5);
                    checkProduct<double>(transposeA, transposeB, 1, 4, 3, beta, torch::kFloat64, 1e-13);
                }
            }
        }
    }

    void emptyInnerDimensionScalesC()
    {
        // k = 0: the product is empty, so C = beta * C (and 0 for beta = 0,
        // even where C held NaN: BLAS does not read C when beta is 0).
        auto c = torch::full({3, 4}, 2.0, torch::kFloat64);
        lwb::gemmRowMajor(false, false, 3, 4, 0, 1.0, nullptr, 1, nullptr, 4, 0.5, c.data_ptr<double>(), 4);
        QVERIFY(torch::equal(c, torch::full({3, 4}, 1.0, torch::kFloat64)));
        c.fill_(std::numeric_limits<double>::quiet_NaN());
        lwb::gemmRowMajor(false, false, 3, 4, 0, 1.0, nullptr, 1, nullptr, 4, 0.0, c.data_ptr<double>(), 4);
        QVERIFY(torch::equal(c, torch::zeros({3, 4}, torch::kFloat64)));
    }
};

QTEST_APPLESS_MAIN(TestCpuGemm)
#include "test_cpu_gemm.moc"
