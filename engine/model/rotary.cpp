// See rotary.h.
#include "engine/model/rotary.h"

#include "engine/core/error.h"

#include <cmath>

namespace lwb {

torch::Tensor rotaryInverseFrequencies(const ModelConfig &config)
{
    const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
    const auto width = static_cast<std::int64_t>(static_cast<double>(config.headDim()) * config.partialRotaryFactor);
    const auto exponents = torch::arange(0, width, 2, f64) / static_cast<double>(width);
    auto invFreq = 1.0 / torch::pow(torch::full({}, config.ropeTheta, f64), exponents);
    const auto &scaling = config.ropeScaling;
    if (scaling.type == "default")
        return invFreq;
    if (scaling.type == "linear")
        return invFreq / scaling.factor;
    if (scaling.type == "llama3") {
        const auto original = static_cast<double>(scaling.originalMaxPositions);
        const double lowWavelength = original / scaling.lowFreqFactor;
        const double highWavelength = original / scaling.highFreqFactor;
        const auto wavelength = 2.0 * M_PI / invFreq;
        const auto divided = torch::where(wavelength > lowWavelength, invFreq / scaling.factor, invFreq);
        const auto smooth
            = (original / wavelength - scaling.lowFreqFactor) / (scaling.highFreqFactor - scaling.lowFreqFactor);
        const auto smoothed = (1.0 - smooth) * divided / scaling.factor + smooth * divided;
        const auto medium = (wavelength >= highWavelength).logical_and(wavelength <= lowWavelength);
        return torch::where(medium, smoothed, divided);
    }
    throw Error("model.rope_scaling", "rope_type \"" + scaling.type + "\" is not supported (default, linear, llama3)");
}

RotaryTables rotaryTables(const torch::Tensor &inverseFrequencies, std::int64_t length,
                          const torch::TensorOptions &options, std::int64_t start)
{
    // Angles in float64, then cast: the tables then agree with any reference
    // to the last bit of float32.
    const auto positions = torch::arange(start, start + length, inverseFrequencies.options()); // whole numbers: exact
    const auto angles = torch::outer(positions, inverseFrequencies);
    const auto full = torch::cat({angles, angles}, -1);
    return {full.cos().to(options), full.sin().to(options)};
}

RotaryTables rotaryTablesAt(const torch::Tensor &inverseFrequencies, const torch::Tensor &positions,
                            const torch::TensorOptions &options)
{
    const auto angles = positions.to(inverseFrequencies.options()).unsqueeze(-1) * inverseFrequencies; // [B, T, w/2]
    const auto full = torch::cat({angles, angles}, -1).unsqueeze(1);
    return {full.cos().to(options), full.sin().to(options)};
}

torch::Tensor applyRotary(const torch::Tensor &x, const RotaryTables &tables)
{
    const auto width = tables.cos.size(-1);
    if (width < x.size(-1)) {
        const auto rotated = applyRotary(x.narrow(-1, 0, width), tables);
        return torch::cat({rotated, x.narrow(-1, width, x.size(-1) - width)}, -1);
    }
    const auto half = x.size(-1) / 2;
    const auto first = x.narrow(-1, 0, half);
    const auto second = x.narrow(-1, half, half);
    const auto rotated = torch::cat({-second, first}, -1);
    return x * tables.cos + rotated * tables.sin;
}

} // namespace lwb
