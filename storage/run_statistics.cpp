// See run_statistics.h.
#include "storage/run_statistics.h"

#include "engine/core/error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

namespace lwb::storage {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Continued fraction of the incomplete beta function (modified Lentz).
double betaContinuedFraction(double a, double b, double x)
{
    constexpr double kTiny = 1e-300;
    constexpr double kEpsilon = 1e-15;
    double c = 1.0;
    double d = 1.0 - (a + b) * x / (a + 1.0);
    d = 1.0 / (std::abs(d) < kTiny ? kTiny : d);
    double result = d;
    for (int m = 1; m <= 10000; ++m) {
        const double m2 = 2.0 * m;
        // Even step.
        double numerator = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        d = 1.0 + numerator * d;
        c = 1.0 + numerator / c;
        d = 1.0 / (std::abs(d) < kTiny ? kTiny : d);
        c = std::abs(c) < kTiny ? kTiny : c;
        result *= d * c;
        // Odd step.
        numerator = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        d = 1.0 + numerator * d;
        c = 1.0 + numerator / c;
        d = 1.0 / (std::abs(d) < kTiny ? kTiny : d);
        c = std::abs(c) < kTiny ? kTiny : c;
        const double delta = d * c;
        result *= delta;
        if (std::abs(delta - 1.0) < kEpsilon)
            break;
    }
    return result;
}

// I_x(a, b), the regularized incomplete beta function.
double regularizedBeta(double a, double b, double x)
{
    if (x <= 0.0)
        return 0.0;
    if (x >= 1.0)
        return 1.0;
    const double logFront = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
    const double front = std::exp(logFront);
    // The continued fraction converges fast for x < (a+1)/(a+b+2); use the
    // symmetry I_x(a,b) = 1 - I_{1-x}(b,a) on the other side.
    if (x < (a + 1.0) / (a + b + 2.0))
        return front * betaContinuedFraction(a, b, x) / a;
    return 1.0 - front * betaContinuedFraction(b, a, 1.0 - x) / b;
}

double sampleMean(const std::vector<double> &values)
{
    return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

double sampleStandardDeviation(const std::vector<double> &values, double mean)
{
    double sum = 0.0;
    for (double value : values)
        sum += (value - mean) * (value - mean);
    return std::sqrt(sum / static_cast<double>(values.size() - 1));
}

void checkConfidence(double confidence)
{
    if (!(confidence > 0.0 && confidence < 1.0))
        throw Error("statistics", "confidence " + std::to_string(confidence) + " is not in (0, 1)");
}

} // namespace

double studentTCdf(double t, double degreesOfFreedom)
{
    if (std::isinf(t))
        return t > 0 ? 1.0 : 0.0;
    // P(T <= t) = 1 - I_{v/(v+t^2)}(v/2, 1/2) / 2 for t >= 0, symmetric below.
    const double tail
        = 0.5 * regularizedBeta(degreesOfFreedom / 2.0, 0.5, degreesOfFreedom / (degreesOfFreedom + t * t));
    return t >= 0.0 ? 1.0 - tail : tail;
}

double studentTQuantile(double p, double degreesOfFreedom)
{
    if (!(p > 0.0 && p < 1.0))
        throw Error("statistics", "quantile probability " + std::to_string(p) + " is not in (0, 1)");
    if (p < 0.5)
        return -studentTQuantile(1.0 - p, degreesOfFreedom);
    // The CDF is monotone; bracket, then bisect (~100 halvings reach double precision).
    double low = 0.0;
    double high = 1.0;
    while (studentTCdf(high, degreesOfFreedom) < p)
        high *= 2.0;
    for (int i = 0; i < 200 && high - low > 1e-13 * std::max(1.0, high); ++i) {
        const double middle = 0.5 * (low + high);
        (studentTCdf(middle, degreesOfFreedom) < p ? low : high) = middle;
    }
    return 0.5 * (low + high);
}

MeanInterval meanInterval(const std::vector<double> &values, double confidence)
{
    checkConfidence(confidence);
    MeanInterval result;
    result.count = values.size();
    if (values.empty()) {
        result.mean = result.standardDeviation = result.halfWidth = kNaN;
        result.low = result.high = result.minimum = result.maximum = kNaN;
        return result;
    }
    const auto [smallest, largest] = std::minmax_element(values.begin(), values.end());
    result.minimum = *smallest;
    result.maximum = *largest;
    result.mean = sampleMean(values);
    if (values.size() == 1) {
        result.standardDeviation = result.halfWidth = kNaN;
        result.low = result.high = result.mean;
        return result;
    }
    result.standardDeviation = sampleStandardDeviation(values, result.mean);
    const double n = static_cast<double>(values.size());
    result.halfWidth = studentTQuantile(0.5 + confidence / 2.0, n - 1.0) * result.standardDeviation / std::sqrt(n);
    result.low = result.mean - result.halfWidth;
    result.high = result.mean + result.halfWidth;
    return result;
}

PairedTest pairedTTest(const std::vector<double> &a, const std::vector<double> &b, double confidence)
{
    checkConfidence(confidence);
    if (a.size() != b.size())
        throw Error("statistics", "a paired test needs as many values on each side (" + std::to_string(a.size())
                                      + " against " + std::to_string(b.size()) + ")");
    if (a.size() < 2)
        throw Error("statistics", "a paired test needs at least two pairs (seeds run on both sides)");
    std::vector<double> differences(a.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        differences[i] = a[i] - b[i];
    const MeanInterval interval = meanInterval(differences, confidence);
    PairedTest result;
    result.pairs = a.size();
    result.meanDifference = interval.mean;
    result.low = interval.low;
    result.high = interval.high;
    result.degreesOfFreedom = static_cast<double>(a.size() - 1);
    const double standardError = interval.standardDeviation / std::sqrt(static_cast<double>(a.size()));
    if (standardError == 0.0) {
        // Every difference equal: no spread. Zero difference is no evidence at
        // all; a constant non-zero one is as strong as a test can say.
        result.t = interval.mean == 0.0 ? 0.0 : std::copysign(std::numeric_limits<double>::infinity(), interval.mean);
        result.pValue = interval.mean == 0.0 ? 1.0 : 0.0;
        return result;
    }
    result.t = interval.mean / standardError;
    result.pValue = std::min(1.0, 2.0 * studentTCdf(-std::abs(result.t), result.degreesOfFreedom));
    return result;
}

} // namespace lwb::storage
