// StudySpec: a study is a base run config and a set of variations of it, each
// run on several seeds: a grid over any config paths (the paths `--set`
// takes), random draws from distributions over paths, or both (every random
// trial crossed with every grid point). Expanded here into the run configs to
// train, one per (cell, seed); recorded and summarised by storage/study_*.
//
//   {
//     "name": "rank-vs-variant",
//     "base": "lora_default.json",            // a path (relative to the study file) or a config object
//     "set": ["training.steps=200"],          // optional overrides of the base, like --set
//     "grid": { "adapter.r": [4, 8], "adapter.variant": ["lora", "sira"] },
//     "random": { "trials": 4, "seed": 1,
//                 "space": { "training.lr": { "log_uniform": [1e-4, 1e-2] },
//                            "adapter.dropout": { "uniform": [0.0, 0.2] },
//                            "adapter.alpha": { "choice": [8, 16, 32] } } },
//     "seeds": [1, 2, 3],
//     "metric": "eval/loss",                  // the figure the study reports (any recorded series)
//     "baseline": { "adapter.r": 8, "adapter.variant": "lora" },  // the cell others are compared with
//     "report": { ... }                       // optional: cell labels, measures (storage/study_measures.h)
//   }
//
// A grid value may be a whole object ("adapter": [{...}, {...}]) when the
// variants differ in more than one key. Every expanded config is validated
// like a run config; an error names the study file, the cell and the key.
#pragma once

#include "engine/config/run_config.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace lwb {

struct StudyCell
{
    // The cell's settings: config path -> value, in the order the grid and
    // the random space name them. Its canonical text (settingsKey) identifies
    // the cell in the run store.
    std::vector<std::pair<std::string, nlohmann::json>> settings;

    std::string settingsKey() const; // compact JSON object, keys in path order
    std::string label() const;       // "adapter.r=4 adapter.variant=lora"
};

struct StudyRun
{
    std::size_t cellIndex = 0;
    std::uint64_t seed = 0;
    nlohmann::json config; // the full run config document (validated)
};

struct StudySpec
{
    std::string name;
    std::string sourcePath;    // the study file ("" for one given inline)
    nlohmann::json document;   // the study with its base inlined ("set" applied): what the store keeps
    nlohmann::json baseConfig; // base with "set" applied, before any cell
    std::vector<StudyCell> cells;
    std::vector<std::uint64_t> seeds;
    std::string metric = "eval/loss";
    int baselineCell = -1; // index into cells; -1: none named
    // "report": what the summary shows besides the metric (read by
    // storage/study_measures.h); null when absent. Not in `document`.
    nlohmann::json report;

    // Every (cell, seed) in cell-major order, each config named
    // "<study>-c<cell>-s<seed>" with its seed set.
    std::vector<StudyRun> runs() const;
};

// Reads and validates a study file; every run config it expands to is
// validated too (lwb::ConfigError naming the file, the cell and the key).
StudySpec loadStudySpec(const std::string &path);
// The same for a document already in memory; `source` names it in errors,
// `baseDirectory` resolves a relative "base" path.
StudySpec parseStudySpec(const nlohmann::json &document, const std::string &source, const std::string &baseDirectory);

} // namespace lwb
