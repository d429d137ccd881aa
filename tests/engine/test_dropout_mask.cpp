// kernels/dropout_mask against its element-by-element reference, and the
// statistics a dropout mask must have. The reference is the hash written
// out for one element; the statistics are Bernoulli(1 - p)'s.
#include "kernels/dropout_mask.h"

#include <QtTest>

#include <cmath>
#include <cstdint>
#include <vector>

class TestDropoutMask : public QObject
{
    Q_OBJECT

private slots:
    // Every element equals the reference's verdict, and filling the mask in
    // pieces at their offsets (as threads do) gives the same mask as one pass.
    void matchesReferenceInAnySplit()
    {
        const double p = 0.1;
        const std::uint64_t key = 0x0123456789abcdefULL;
        const std::int64_t n = 100003;
        std::vector<float> whole(n), pieces(n);
        lwb::kernels::dropoutKeepMask(whole.data(), n, key, 0, p);
        for (std::int64_t begin = 0; begin < n; begin += 4097) {
            const auto count = std::min<std::int64_t>(4097, n - begin);
            lwb::kernels::dropoutKeepMask(pieces.data() + begin, count, key, static_cast<std::uint64_t>(begin), p);
        }
        QVERIFY(whole == pieces);
        const auto threshold = static_cast<std::uint32_t>(std::round(p * 4294967296.0));
        for (std::int64_t i = 0; i < n; ++i) {
            const bool keep = lwb::kernels::dropoutKeepBitsReference(key, static_cast<std::uint64_t>(i)) >= threshold;
            QCOMPARE(whole[i], keep ? static_cast<float>(1.0 / (1.0 - p)) : 0.0f);
        }
        std::vector<double> wide(n);
        lwb::kernels::dropoutKeepMask(wide.data(), n, key, 0, p);
        for (std::int64_t i = 0; i < n; ++i)
            QCOMPARE(wide[i] != 0.0, whole[i] != 0.0f);
        // Offsets past 2^32 do not wrap onto the first elements.
        std::vector<float> far(n);
        lwb::kernels::dropoutKeepMask(far.data(), n, key, std::uint64_t(1) << 32, p);
        QVERIFY(far != whole);
    }

    // 4e6 draws at p = 0.3: the kept share within 5 standard deviations of
    // 0.7; neighbours independent (both kept 0.49 of the time); two keys
    // differing in one bit agree as independent masks do (0.58).
    void hasBernoulliStatistics()
    {
        const double p = 0.3;
        const std::int64_t n = 4000000;
        std::vector<float> a(n), b(n);
        lwb::kernels::dropoutKeepMask(a.data(), n, 42, 0, p);
        lwb::kernels::dropoutKeepMask(b.data(), n, 43, 0, p);
        double kept = 0, neighbours = 0, agree = 0;
        for (std::int64_t i = 0; i < n; ++i) {
            kept += a[i] != 0;
            agree += (a[i] != 0) == (b[i] != 0);
            if (i + 1 < n)
                neighbours += a[i] != 0 && a[i + 1] != 0;
        }
        const double sd = std::sqrt(p * (1 - p) / static_cast<double>(n));
        QVERIFY2(std::abs(kept / n - 0.7) < 5 * sd, std::to_string(kept / n).c_str());
        QVERIFY2(std::abs(neighbours / (n - 1) - 0.49) < 5 * std::sqrt(0.49 * 0.51 / n),
                 std::to_string(neighbours / (n - 1)).c_str());
        QVERIFY2(std::abs(agree / n - 0.58) < 5 * std::sqrt(0.58 * 0.42 / n), std::to_string(agree / n).c_str());
    }

    // p = 0 keeps everything at scale 1; a tiny p still drops about p of them.
    void edgeProbabilities()
    {
        std::vector<float> mask(1000);
        lwb::kernels::dropoutKeepMask(mask.data(), 1000, 7, 0, 0.0);
        for (const float value : mask)
            QCOMPARE(value, 1.0f);
        const std::int64_t n = 1 << 22;
        std::vector<float> rare(n);
        lwb::kernels::dropoutKeepMask(rare.data(), n, 7, 0, 1e-4);
        std::int64_t dropped = 0;
        for (const float value : rare)
            dropped += value == 0.0f;
        QVERIFY2(std::abs(static_cast<double>(dropped) - 1e-4 * n) < 5 * std::sqrt(1e-4 * n),
                 std::to_string(dropped).c_str());
    }
};

QTEST_APPLESS_MAIN(TestDropoutMask)
#include "test_dropout_mask.moc"
