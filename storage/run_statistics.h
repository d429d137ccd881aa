// Statistics over repeated runs: what a researcher reports from several seeds.
//
// Two-sided Student-t intervals for a mean (seed groups: "0.78 ± 0.04, 95 % CI,
// n = 5") and the paired t-test between two configurations run on the same
// seeds (study cells against a baseline). The t distribution comes from the
// regularized incomplete beta function (Numerical Recipes' continued fraction,
// evaluated by the modified Lentz method), so no statistics library is needed;
// tests/storage/run_statistics_test.cpp checks it against published tables and
// R's t.test on Student's own sleep data.
#pragma once

#include <cstddef>
#include <vector>

namespace lwb::storage {

// Mean with a two-sided t-interval. n = 1: the interval is the point itself
// and `halfWidth` is NaN (no spread can be estimated from one run); n = 0:
// every field NaN.
struct MeanInterval
{
    std::size_t count = 0;
    double mean = 0.0;
    double standardDeviation = 0.0; // sample (n - 1) standard deviation
    double halfWidth = 0.0;         // t_{(1+confidence)/2, n-1} * sd / sqrt(n)
    double low = 0.0;
    double high = 0.0;
    double minimum = 0.0;
    double maximum = 0.0;
};

MeanInterval meanInterval(const std::vector<double> &values, double confidence = 0.95);

// Paired t-test of a - b (element i of both from the same seed). Throws
// lwb::Error when the sizes differ or fewer than two pairs are given.
struct PairedTest
{
    std::size_t pairs = 0;
    double meanDifference = 0.0; // mean of a - b
    double low = 0.0;            // confidence interval of the mean difference
    double high = 0.0;
    double t = 0.0; // statistic; +-inf when every difference is equal and non-zero
    double degreesOfFreedom = 0.0;
    double pValue = 1.0; // two-sided
};

PairedTest pairedTTest(const std::vector<double> &a, const std::vector<double> &b, double confidence = 0.95);

// The t distribution with `degreesOfFreedom` (> 0, not necessarily whole).
double studentTCdf(double t, double degreesOfFreedom);
// Inverse of studentTCdf for p in (0, 1), by bisection on the CDF (to ~1e-12).
double studentTQuantile(double p, double degreesOfFreedom);

} // namespace lwb::storage
