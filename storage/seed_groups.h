// Seed groups: runs whose configs differ only in their seed are one
// experiment repeated, and are shown and summarised together (mean curve with
// a band, final metrics as mean ± CI: run_statistics.h).
//
// The group key is the SHA-256 of the canonical config (sorted keys) with the
// settings that do not change what is measured taken out:
//   seed                  the point of the group
//   name                  a label ("lora-s7")
//   threads               intra-op threads change only the summation order
//   training.output_dir, training.resume_from
//                         where files go, and a resumed run continues with
//                         exactly the losses of an uninterrupted one
// Everything else (device included: CPU and CUDA runs are not pooled) must
// be equal.
#pragma once

#include "storage/run_records.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lwb::storage {

// The paths left out of the key, in the order above.
const std::vector<std::string> &seedIndependentConfigPaths();

// Hex SHA-256 of the config JSON text without the seed-independent paths.
// Throws lwb::Error for a config that is not a JSON object.
std::string seedGroupKey(const std::string &configJson);

struct SeedGroup
{
    std::string key;
    std::vector<std::int64_t> runIds; // in the order the runs were given
    std::vector<std::uint64_t> seeds;
    bool seedsDistinct = true; // false: a seed ran twice (a re-run, not a new sample)
};

// Runs grouped by seedGroupKey, groups in the order of their first run. A run
// whose stored config does not parse is a group of its own (keyed by its id)
// rather than an error: one damaged row must not hide the rest of a list.
std::vector<SeedGroup> groupRunsBySeed(const std::vector<RunRecord> &runs);

} // namespace lwb::storage
