// kernels/sira_expert_blocks (SiRA's expert blocks on raw buffers) against
// its plain-loop reference, at float64 and float32 on random shapes: the slot
// plan exactly, the forward and every gradient within the dtype's tolerance.
// The cases include experts without slots, k = 1..3, inactive choices (their
// gates are NaN: never read), no active choice at all and no tokens. The
// kernel's entries run in any order and any token split with the same bits,
// a plain-loop product in place of the BLAS gives the same results within
// tolerance (the seam a build without BLAS uses), and the engine's
// mixRoutedExperts is bitwise the kernel driven by hand: the torch glue adds
// no arithmetic.
#include "engine/adapters/sira_mixture.h"
#include "engine/core/cpu_gemm.h"
#include "kernels/sira_expert_blocks.h"

#include <QtTest>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>
#include <vector>

namespace {

using lwb::kernels::ExpertBlocksShape;

std::size_t idx(std::int64_t i)
{
    return static_cast<std::size_t>(i);
}

// One random problem, in double; the float32 cases round it once.
struct Problem
{
    ExpertBlocksShape shape;
    double scale = 0.0;
    std::vector<double> x, loraA, loraB, gates, gradY;
    std::vector<std::int64_t> experts;
    std::vector<char> activeBytes; // bool as stored by torch: one byte each

    const bool *active() const { return reinterpret_cast<const bool *>(activeBytes.data()); }
};

std::vector<double> normals(std::int64_t count, std::mt19937 &random)
{
    std::normal_distribution<double> normal;
    std::vector<double> values(idx(count));
    for (auto &value : values)
        value = normal(random);
    return values;
}

// Each token picks k distinct experts from a random subset of the experts
// (the others get no slot); each choice is inactive with probability
// `inactive`. Gates are uniform in (0, 1) at the active choices, NaN elsewhere.
Problem randomProblem(std::mt19937 &random, std::int64_t tokens, std::int64_t choices, std::int64_t experts,
                      double inactive)
{
    std::uniform_int_distribution<std::int64_t> small(1, 6), width(1, 20);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    Problem p;
    p.shape.tokens = tokens;
    p.shape.choices = choices;
    p.shape.experts = experts;
    p.shape.rank = small(random);
    p.shape.in = width(random);
    p.shape.out = width(random);
    p.scale = 0.5 + uniform(random);
    p.x = normals(tokens * p.shape.in, random);
    p.loraA = normals(experts * p.shape.rank * p.shape.in, random);
    p.loraB = normals(experts * p.shape.out * p.shape.rank, random);
    p.gradY = normals(tokens * p.shape.out, random);

    std::vector<std::int64_t> used(idx(experts));
    std::iota(used.begin(), used.end(), 0);
    std::shuffle(used.begin(), used.end(), random);
    used.resize(idx(std::uniform_int_distribution<std::int64_t>(choices, experts)(random)));
    p.experts.resize(idx(tokens * choices));
    p.activeBytes.resize(idx(tokens * choices));
    p.gates.assign(idx(tokens * experts), std::numeric_limits<double>::quiet_NaN());
    for (std::int64_t t = 0; t < tokens; ++t) {
        std::shuffle(used.begin(), used.end(), random);
        for (std::int64_t j = 0; j < choices; ++j) {
            const auto i = idx(t * choices + j);
            p.experts[i] = used[idx(j)];
            p.activeBytes[i] = uniform(random) >= inactive ? 1 : 0;
            if (p.activeBytes[i])
                p.gates[idx(t * experts + used[idx(j)])] = uniform(random);
        }
    }
    return p;
}

std::vector<Problem> randomProblems()
{
    std::mt19937 random(20261207);
    std::vector<Problem> problems;
    for (int i = 0; i < 12; ++i) {
        const auto choices = std::uniform_int_distribution<std::int64_t>(1, 3)(random);
        const auto experts = std::uniform_int_distribution<std::int64_t>(choices, 9)(random);
        const auto tokens = std::uniform_int_distribution<std::int64_t>(1, 40)(random);
        problems.push_back(randomProblem(random, tokens, choices, experts, i % 3 == 0 ? 0.0 : 0.3));
    }
    problems.push_back(randomProblem(random, 17, 2, 8, 1.0)); // no active choice: no slots
    problems.push_back(randomProblem(random, 0, 2, 4, 0.0));  // no tokens
    return problems;
}

template <typename T> std::vector<T> as(const std::vector<double> &values)
{
    return std::vector<T>(values.begin(), values.end());
}

std::vector<double> asDouble(const std::vector<float> &values)
{
    return std::vector<double>(values.begin(), values.end());
}
const std::vector<double> &asDouble(const std::vector<double> &values)
{
    return values;
}

// The plain-loop product with the gemm contract (beta 0 or 1 as the kernel
// uses it), for a build without BLAS and for the seam's own check.
template <typename T>
void loopGemm(bool transposeA, bool transposeB, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T *a,
              std::int64_t lda, const T *b, std::int64_t ldb, T beta, T *c, std::int64_t ldc)
{
    for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < n; ++j) {
            T sum = 0;
            for (std::int64_t p = 0; p < k; ++p)
                sum += (transposeA ? a[p * lda + i] : a[i * lda + p]) * (transposeB ? b[j * ldb + p] : b[p * ldb + j]);
            c[i * ldc + j] = beta == T(0) ? alpha * sum : alpha * sum + beta * c[i * ldc + j];
        }
}

template <typename T> lwb::kernels::GemmRowMajorFn<T> defaultProduct()
{
    if (lwb::kernels::blasGemmAvailable())
        return lwb::kernels::gemmRowMajor;
    return loopGemm<T>;
}

// How the kernel's entries are driven: the experts' order, the token ranges.
struct Schedule
{
    bool reverseExperts = false;
    std::int64_t tokenChunk = 0; // 0: one range
};

// Everything the kernel computes for one problem, dtype T.
template <typename T> struct Outcome
{
    std::vector<std::int64_t> offsets, slotToken, tokenSlots;
    std::vector<T> slotGate, y, gradX, gradA, gradB, gradGates;
};

template <typename Body> void forEachInOrder(std::int64_t count, const Schedule &schedule, const Body &body)
{
    for (std::int64_t i = 0; i < count; ++i)
        body(schedule.reverseExperts ? count - 1 - i : i);
}

template <typename T>
void sumPerToken(const Outcome<T> &o, const Problem &p, const Schedule &schedule, const std::vector<T> &slotRows,
                 std::int64_t width, std::vector<T> &rows)
{
    rows.assign(idx(p.shape.tokens * width), std::numeric_limits<T>::quiet_NaN());
    const auto chunk = schedule.tokenChunk > 0 ? schedule.tokenChunk : std::max<std::int64_t>(p.shape.tokens, 1);
    for (std::int64_t begin = 0; begin < p.shape.tokens; begin += chunk)
        lwb::kernels::addSlotsPerToken(o.tokenSlots.data(), p.shape.choices, slotRows.data(), width, rows.data(), begin,
                                       std::min(begin + chunk, p.shape.tokens));
}

template <typename T>
Outcome<T> runKernel(const Problem &p, const Schedule &schedule, lwb::kernels::GemmRowMajorFn<T> product,
                     bool wantX = true, bool wantGates = true)
{
    namespace k = lwb::kernels;
    const auto &s = p.shape;
    const auto x = as<T>(p.x), a = as<T>(p.loraA), b = as<T>(p.loraB), gates = as<T>(p.gates), gradY = as<T>(p.gradY);
    Outcome<T> o;
    o.offsets = k::expertSlotOffsets(s, p.experts.data(), p.active());
    const auto slotCount = o.offsets.back();
    o.slotToken.assign(idx(slotCount), -7);
    o.slotGate.assign(idx(slotCount), T(0));
    o.tokenSlots.assign(idx(s.tokens * s.choices), -7);
    k::fillExpertSlots<T>(s, o.offsets, p.experts.data(), p.active(), gates.data(), p.scale, o.slotToken.data(),
                          o.slotGate.data(), o.tokenSlots.data());

    const auto nan = std::numeric_limits<T>::quiet_NaN(); // every output must be written
    std::vector<T> gathered(idx(slotCount * s.in), nan), hidden(idx(slotCount * s.rank), nan),
        gated(idx(slotCount * s.rank), nan), expanded(idx(slotCount * s.out), nan);
    k::ExpertBlocksForward<T> forward;
    forward.shape = s;
    forward.offsets = o.offsets.data();
    forward.slotToken = o.slotToken.data();
    forward.slotGate = o.slotGate.data();
    forward.x = x.data();
    forward.loraA = a.data();
    forward.loraB = b.data();
    forward.gathered = gathered.data();
    forward.hidden = hidden.data();
    forward.gated = gated.data();
    forward.expanded = expanded.data();
    forward.gemm = product;
    forEachInOrder(s.experts, schedule, [&](std::int64_t e) { k::expertBlockForward(forward, e); });
    sumPerToken(o, p, schedule, expanded, s.out, o.y);

    std::vector<T> gradSlotsOut(idx(slotCount * s.out), nan), gradGated(idx(slotCount * s.rank), nan),
        gradHidden(idx(slotCount * s.rank), nan), gradSlotsIn(idx(slotCount * s.in), nan);
    o.gradA.assign(idx(s.experts * s.rank * s.in), nan);
    o.gradB.assign(idx(s.experts * s.out * s.rank), nan);
    o.gradGates.assign(idx(s.tokens * s.experts), T(0)); // the caller zeros it (header)
    k::ExpertBlocksBackward<T> backward;
    backward.shape = s;
    backward.scale = p.scale;
    backward.offsets = o.offsets.data();
    backward.slotToken = o.slotToken.data();
    backward.slotGate = o.slotGate.data();
    backward.gradOut = gradY.data();
    backward.loraA = a.data();
    backward.loraB = b.data();
    backward.gathered = gathered.data();
    backward.hidden = hidden.data();
    backward.gated = gated.data();
    backward.gradSlotsOut = gradSlotsOut.data();
    backward.gradGated = gradGated.data();
    backward.gradHidden = gradHidden.data();
    backward.gradA = o.gradA.data();
    backward.gradB = o.gradB.data();
    backward.gradGates = wantGates ? o.gradGates.data() : nullptr;
    backward.gradSlotsIn = wantX ? gradSlotsIn.data() : nullptr;
    backward.gemm = product;
    forEachInOrder(s.experts, schedule, [&](std::int64_t e) { k::expertBlockBackward(backward, e); });
    if (wantX)
        sumPerToken(o, p, schedule, gradSlotsIn, s.in, o.gradX);
    return o;
}

// The reference on the inputs as the kernel saw them (rounded to T).
struct Expected
{
    std::vector<double> y, gradX, gradA, gradB, gradGates;
};

template <typename T> Expected reference(const Problem &p)
{
    namespace k = lwb::kernels;
    const auto &s = p.shape;
    const auto x = asDouble(as<T>(p.x)), a = asDouble(as<T>(p.loraA)), b = asDouble(as<T>(p.loraB)),
               gates = asDouble(as<T>(p.gates)), gradY = asDouble(as<T>(p.gradY));
    Expected e;
    e.y.resize(idx(s.tokens * s.out));
    e.gradX.resize(idx(s.tokens * s.in));
    e.gradA.resize(idx(s.experts * s.rank * s.in));
    e.gradB.resize(idx(s.experts * s.out * s.rank));
    e.gradGates.resize(idx(s.tokens * s.experts));
    k::expertBlocksForwardReference(s, x.data(), a.data(), b.data(), gates.data(), p.experts.data(), p.active(),
                                    p.scale, e.y.data());
    k::expertBlocksBackwardReference(s, x.data(), a.data(), b.data(), gates.data(), p.experts.data(), p.active(),
                                     p.scale, gradY.data(), e.gradX.data(), e.gradA.data(), e.gradB.data(),
                                     e.gradGates.data());
    return e;
}

// max |got - expected| / max |expected| (NaN when anything is NaN).
template <typename T> double relativeError(const std::vector<T> &got, const std::vector<double> &expected)
{
    if (got.size() != expected.size())
        return std::numeric_limits<double>::infinity();
    double worst = 0.0, scale = 1e-300;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const auto difference = std::abs(static_cast<double>(got[i]) - expected[i]);
        if (std::isnan(difference))
            return std::numeric_limits<double>::quiet_NaN();
        worst = std::max(worst, difference);
        scale = std::max(scale, std::abs(expected[i]));
    }
    return worst / scale;
}

template <typename T> bool sameBits(const std::vector<T> &left, const std::vector<T> &right)
{
    return left.size() == right.size()
           && (left.empty() || std::memcmp(left.data(), right.data(), left.size() * sizeof(T)) == 0);
}

template <typename T> bool sameBits(const Outcome<T> &left, const Outcome<T> &right)
{
    return left.offsets == right.offsets && left.slotToken == right.slotToken && left.tokenSlots == right.tokenSlots
           && sameBits(left.slotGate, right.slotGate) && sameBits(left.y, right.y) && sameBits(left.gradX, right.gradX)
           && sameBits(left.gradA, right.gradA) && sameBits(left.gradB, right.gradB)
           && sameBits(left.gradGates, right.gradGates);
}

template <typename T> void checkAgainstReference(lwb::kernels::GemmRowMajorFn<T> product, double tolerance)
{
    int index = 0;
    for (const auto &p : randomProblems()) {
        const auto o = runKernel<T>(p, Schedule{}, product);
        const auto e = reference<T>(p);
        const auto label = QString("problem %1 (N %2, k %3, E %4, r %5, in %6, out %7, slots %8)")
                               .arg(index++)
                               .arg(p.shape.tokens)
                               .arg(p.shape.choices)
                               .arg(p.shape.experts)
                               .arg(p.shape.rank)
                               .arg(p.shape.in)
                               .arg(p.shape.out)
                               .arg(o.offsets.back());
        const std::pair<const char *, double> errors[] = {
            {"y", relativeError(o.y, e.y)},
            {"dX", relativeError(o.gradX, e.gradX)},
            {"dA", relativeError(o.gradA, e.gradA)},
            {"dB", relativeError(o.gradB, e.gradB)},
            {"dGates", relativeError(o.gradGates, e.gradGates)},
        };
        for (const auto &[name, error] : errors)
            QVERIFY2(error <= tolerance,
                     qPrintable(QString("%1: %2 off by %3 of the largest magnitude").arg(label, name).arg(error)));
    }
}

} // namespace

class TestSiraExpertBlocksKernel : public QObject
{
    Q_OBJECT

private slots:
    // The counting sort's layout equals a scan per expert; the gates are the
    // chosen ones times s, rounded once.
    void planMatchesReference()
    {
        for (const auto &p : randomProblems()) {
            const auto expected = lwb::kernels::expertSlotsReference(p.shape, p.experts.data(), p.active());
            const auto o = runKernel<float>(p, Schedule{}, defaultProduct<float>());
            QCOMPARE(o.offsets, expected.offsets);
            QCOMPARE(o.slotToken, expected.slotToken);
            QCOMPARE(o.tokenSlots, expected.tokenSlots);
            for (std::size_t slot = 0; slot < o.slotToken.size(); ++slot) {
                const auto token = o.slotToken[slot];
                const auto expert = static_cast<std::int64_t>(
                    std::upper_bound(o.offsets.begin(), o.offsets.end(), static_cast<std::int64_t>(slot))
                    - o.offsets.begin() - 1);
                const auto gate
                    = static_cast<double>(static_cast<float>(p.gates[idx(token * p.shape.experts + expert)]));
                QCOMPARE(o.slotGate[slot], static_cast<float>(gate * p.scale));
            }
        }
    }

    // Tolerances, of the largest magnitude: measured 7e-16 (float64) and 3e-7
    // (float32) at worst over these problems.
    void forwardAndBackwardFloat64() { checkAgainstReference<double>(defaultProduct<double>(), 1e-13); }
    void forwardAndBackwardFloat32() { checkAgainstReference<float>(defaultProduct<float>(), 5e-6); }

    // The plain-loop product in the kernel's seam (a build without BLAS).
    void loopProductInTheSeam()
    {
        checkAgainstReference<double>(loopGemm<double>, 1e-13);
        checkAgainstReference<float>(loopGemm<float>, 5e-6);
    }

    // Experts in reverse order, tokens in ranges of 3: the same bits (the
    // engine spreads both over threads). Without dL/dx and dL/dgates the
    // other gradients keep their bits.
    void anyScheduleSameBits()
    {
        for (const auto &p : randomProblems()) {
            const auto plain = runKernel<float>(p, Schedule{}, defaultProduct<float>());
            QVERIFY(sameBits(plain, runKernel<float>(p, Schedule{true, 3}, defaultProduct<float>())));
            const auto plain64 = runKernel<double>(p, Schedule{}, defaultProduct<double>());
            QVERIFY(sameBits(plain64, runKernel<double>(p, Schedule{true, 1}, defaultProduct<double>())));
            const auto partial = runKernel<double>(p, Schedule{}, defaultProduct<double>(), false, false);
            QVERIFY(sameBits(partial.gradA, plain64.gradA) && sameBits(partial.gradB, plain64.gradB));
            QVERIFY(partial.gradX.empty());
        }
    }

    // An active choice outside [0, E) is an error that names it; an inactive
    // one is never read.
    void expertOutsideRangeThrows()
    {
        std::mt19937 random(5);
        auto p = randomProblem(random, 6, 2, 4, 0.0);
        p.experts[3] = 4;
        try {
            lwb::kernels::expertSlotOffsets(p.shape, p.experts.data(), p.active());
            QFAIL("an active choice of expert 4 among 4 experts was accepted");
        } catch (const std::out_of_range &error) {
            QVERIFY2(QString(error.what()).contains("token 1 chose expert 4, outside [0, 4)"), error.what());
        }
        p.activeBytes[3] = 0;
        const auto offsets = lwb::kernels::expertSlotOffsets(p.shape, p.experts.data(), p.active());
        QCOMPARE(offsets.back(), 11);
    }

    // The engine's autograd node (torch glue, torch's threads, the engine's
    // product) is bitwise the kernel driven by hand with that product.
    void engineGlueIsTheKernel()
    {
        for (const auto &p : randomProblems()) {
            if (p.shape.tokens == 0)
                continue;
            checkGlue<float>(p);
            checkGlue<double>(p);
        }
    }

private:
    template <typename T> void checkGlue(const Problem &p)
    {
        const auto &s = p.shape;
        const auto dtype = c10::CppTypeToScalarType<T>::value;
        auto tensor = [&](const std::vector<double> &values, torch::IntArrayRef shape) {
            return torch::tensor(values, torch::kDouble).reshape(shape).to(dtype).requires_grad_(true);
        };
        auto x = tensor(p.x, {s.tokens, s.in}), a = tensor(p.loraA, {s.experts, s.rank, s.in}),
             b = tensor(p.loraB, {s.experts, s.out, s.rank}), gates = tensor(p.gates, {s.tokens, s.experts});
        const auto experts = torch::tensor(p.experts, torch::kLong).reshape({s.tokens, s.choices});
        const auto active = torch::tensor(std::vector<std::uint8_t>(p.activeBytes.begin(), p.activeBytes.end()))
                                .to(torch::kBool)
                                .reshape({s.tokens, s.choices});
        const auto y = lwb::mixRoutedExperts(x, a, b, gates, experts, active, p.scale);
        y.backward(torch::tensor(p.gradY, torch::kDouble).reshape({s.tokens, s.out}).to(dtype));

        const auto o = runKernel<T>(p, Schedule{}, static_cast<lwb::kernels::GemmRowMajorFn<T>>(lwb::gemmRowMajor));
        auto bits = [](const torch::Tensor &t) {
            const auto c = t.contiguous();
            return std::vector<T>(c.data_ptr<T>(), c.data_ptr<T>() + c.numel());
        };
        QVERIFY(sameBits(bits(y), o.y));
        QVERIFY(sameBits(bits(x.grad()), o.gradX));
        QVERIFY(sameBits(bits(a.grad()), o.gradA));
        QVERIFY(sameBits(bits(b.grad()), o.gradB));
        QVERIFY(sameBits(bits(gates.grad()), o.gradGates));
    }
};

QTEST_APPLESS_MAIN(TestSiraExpertBlocksKernel)
#include "test_sira_expert_blocks_kernel.moc"
