// serdeJsonFloat: serde_json's two-rounding number reading (see
// serde_json_float.h).
#include "engine/tokenizer/serde_json_float.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace lwb {

namespace {

// serde_json's POW10 table: 1e0 ... 1e308, each correctly rounded.
const std::array<double, 309> &powersOfTen()
{
    static const std::array<double, 309> table = [] {
        std::array<double, 309> powers{};
        for (int i = 0; i < 309; ++i)
            powers[static_cast<std::size_t>(i)] = std::strtod(("1e" + std::to_string(i)).c_str(), nullptr);
        return powers;
    }();
    return table;
}

} // namespace

double serdeJsonFloat(double correctlyRounded)
{
    if (!std::isfinite(correctlyRounded) || correctlyRounded == 0.0)
        return correctlyRounded;
    char text[64];
    const auto written = std::to_chars(text, text + sizeof text, correctlyRounded);
    // Digits into the significand, the decimal point and "e" into the exponent.
    std::uint64_t significand = 0;
    int exponent = 0;
    bool negative = false;
    bool afterPoint = false;
    for (const char *c = text; c != written.ptr; ++c) {
        if (*c == '-') {
            negative = true;
        } else if (*c == '.') {
            afterPoint = true;
        } else if (*c == 'e' || *c == 'E') {
            exponent += std::atoi(c + 1);
            break;
        } else {
            // At most 17 significant digits: no u64 overflow.
            significand = significand * 10 + static_cast<std::uint64_t>(*c - '0');
            if (afterPoint)
                --exponent;
        }
    }
    // f64_from_parts: one rounding to f64, one multiply or divide.
    const auto &powers = powersOfTen();
    double value = static_cast<double>(significand);
    while (true) {
        const int magnitude = exponent < 0 ? -exponent : exponent;
        if (magnitude < 309) {
            if (exponent >= 0)
                value *= powers[static_cast<std::size_t>(magnitude)];
            else
                value /= powers[static_cast<std::size_t>(magnitude)];
            break;
        }
        if (value == 0.0 || exponent >= 0)
            break; // out of range: the correctly rounded reading was finite, keep it
        value /= 1e308;
        exponent += 308;
    }
    return negative ? -value : value;
}

} // namespace lwb
