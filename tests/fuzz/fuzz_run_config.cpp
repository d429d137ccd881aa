// Fuzzes RunConfig parsing (engine/config: loadRunConfig with "--set"
// overrides, parseRunConfig, toJson). The input is the config file; after a
// NUL byte (which JSON text cannot contain) come overrides, NUL-separated,
// as `lorawb train --set key.path=value` passes them. A config that parses
// must survive a round trip: toJson() parses again to the same JSON (the
// GUI and the run store keep configs as toJson() and read them back).
#include "engine/config/run_config.h"
#include "engine/core/error.h"
#include "fuzz_support.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const auto input = lwb::fuzz::bytesOf(data, size);
    const auto split = input.find('\0');
    std::vector<std::string> overrides;
    if (split != std::string_view::npos) {
        std::string_view rest = input.substr(split + 1);
        while (true) {
            const auto end = rest.find('\0');
            overrides.emplace_back(rest.substr(0, end));
            if (end == std::string_view::npos)
                break;
            rest.remove_prefix(end + 1);
        }
    }
    const auto path = lwb::fuzz::scratch().write("run.json", input.substr(0, split));
    lwb::RunConfig config;
    try {
        config = lwb::loadRunConfig(path, overrides);
    } catch (const lwb::Error &) {
        return 0;
    }
    // Outside the try: a config we accepted and wrote must read back without
    // any error, so an lwb::Error here is a finding too.
    const auto saved = config.toJson();
    const auto again = lwb::parseRunConfig(saved, "round trip of " + path);
    if (again.toJson() != saved)
        std::abort(); // the stored config would not read back as the run that ran
    return 0;
}
