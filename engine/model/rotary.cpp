// See rotary.h.
#include "engine/model/rotary.h"

namespace lwb {

RotaryTables rotaryTables(std::int64_t length, std::int64_t headDim, double theta, const torch::TensorOptions &options,
                          std::int64_t start)
{
    // Angles in float64, then cast: the tables then agree with any reference
    // to the last bit of float32.
    const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
    const auto exponents = torch::arange(0, headDim, 2, f64) / static_cast<double>(headDim);
    const auto invFreq = 1.0 / torch::pow(torch::full({}, theta, f64), exponents);
    const auto positions = torch::arange(start, start + length, f64); // whole numbers: exact
    const auto angles = torch::outer(positions, invFreq);
    const auto full = torch::cat({angles, angles}, -1);
    return {full.cos().to(options), full.sin().to(options)};
}

torch::Tensor applyRotary(const torch::Tensor &x, const RotaryTables &tables)
{
    const auto half = x.size(-1) / 2;
    const auto first = x.narrow(-1, 0, half);
    const auto second = x.narrow(-1, half, half);
    const auto rotated = torch::cat({-second, first}, -1);
    return x * tables.cos + rotated * tables.sin;
}

} // namespace lwb
