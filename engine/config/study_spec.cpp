// See study_spec.h.
#include "engine/config/study_spec.h"

#include "engine/config/config_error.h"
#include "engine/config/config_overrides.h"
#include "engine/core/json_file.h"

#include <cmath>
#include <filesystem>
#include <random>
#include <set>

namespace lwb {
namespace {

constexpr std::size_t kMaxRuns = 10000; // a typo in a grid should not queue a million runs

// A uniform double in [0, 1) from the generator's 53 high bits: the same on
// every platform (std::uniform_real_distribution is implementation-defined).
double unitDraw(std::mt19937_64 &generator)
{
    return static_cast<double>(generator() >> 11) * 0x1.0p-53;
}

// One parameter's distribution in "random.space".
struct Distribution
{
    enum class Kind { Uniform, LogUniform, IntUniform, Choice } kind = Kind::Uniform;
    double low = 0.0;
    double high = 0.0;
    nlohmann::json choices;
};

class StudyReader
{
public:
    StudyReader(std::string source)
        : source_(std::move(source))
    {
    }

    void fail(const std::string &path, const std::string &reason) { issues_.push_back({path, reason}); }
    void throwIfFailed() const
    {
        if (!issues_.empty())
            throw ConfigError(source_, issues_, "study");
    }
    const std::string &source() const { return source_; }

    Distribution distribution(const std::string &path, const nlohmann::json &value)
    {
        Distribution result;
        if (!value.is_object() || value.size() != 1) {
            fail(path, "must be one of {\"uniform\": [lo, hi]}, {\"log_uniform\": [lo, hi]}, "
                       "{\"int_uniform\": [lo, hi]}, {\"choice\": [values...]}");
            return result;
        }
        const std::string kind = value.begin().key();
        const nlohmann::json &arguments = value.begin().value();
        if (kind == "choice") {
            result.kind = Distribution::Kind::Choice;
            if (!arguments.is_array() || arguments.empty())
                fail(path + ".choice", "must be a non-empty array of values");
            result.choices = arguments;
            return result;
        }
        static const std::map<std::string, Distribution::Kind> kinds
            = {{"uniform", Distribution::Kind::Uniform},
               {"log_uniform", Distribution::Kind::LogUniform},
               {"int_uniform", Distribution::Kind::IntUniform}};
        const auto known = kinds.find(kind);
        if (known == kinds.end()) {
            fail(path, "\"" + kind + "\" is not a distribution (uniform, log_uniform, int_uniform, choice)");
            return result;
        }
        result.kind = known->second;
        if (!arguments.is_array() || arguments.size() != 2 || !arguments[0].is_number() || !arguments[1].is_number()) {
            fail(path + "." + kind, "must be [low, high], two numbers");
            return result;
        }
        result.low = arguments[0].get<double>();
        result.high = arguments[1].get<double>();
        if (!(result.low < result.high)
            && !(result.kind == Distribution::Kind::IntUniform && result.low == result.high))
            fail(path + "." + kind, "low must be below high");
        if (result.kind == Distribution::Kind::LogUniform && !(result.low > 0.0))
            fail(path + "." + kind, "log_uniform needs low > 0");
        if (result.kind == Distribution::Kind::IntUniform
            && (std::floor(result.low) != result.low || std::floor(result.high) != result.high))
            fail(path + "." + kind, "int_uniform needs whole numbers");
        return result;
    }

private:
    std::string source_;
    std::vector<ConfigIssue> issues_;
};

nlohmann::json draw(const Distribution &distribution, std::mt19937_64 &generator)
{
    const double u = unitDraw(generator);
    switch (distribution.kind) {
    case Distribution::Kind::Uniform:
        return distribution.low + u * (distribution.high - distribution.low);
    case Distribution::Kind::LogUniform:
        return std::exp(std::log(distribution.low) + u * (std::log(distribution.high) - std::log(distribution.low)));
    case Distribution::Kind::IntUniform:
        return static_cast<std::int64_t>(distribution.low)
               + static_cast<std::int64_t>(u * (distribution.high - distribution.low + 1.0));
    case Distribution::Kind::Choice:
        return distribution.choices[static_cast<std::size_t>(u * static_cast<double>(distribution.choices.size()))];
    }
    return nullptr;
}

// A whole number >= 0, whether JSON text made it unsigned or code signed.
bool isSeed(const nlohmann::json &value)
{
    return value.is_number_unsigned() || (value.is_number_integer() && value.get<std::int64_t>() >= 0);
}

bool validPath(const std::string &path)
{
    if (path.empty() || path.front() == '.' || path.back() == '.')
        return false;
    return path.find("..") == std::string::npos;
}

// Applies one setting the way --set does, with the value already JSON.
void applySetting(nlohmann::json &document, const std::string &path, const nlohmann::json &value)
{
    applyOverride(document, path + "=" + value.dump());
}

} // namespace

std::string StudyCell::settingsKey() const
{
    // An array of pairs, not an object: nlohmann's objects sort their keys,
    // and the written order is the order the study names its axes.
    nlohmann::json key = nlohmann::json::array();
    for (const auto &[path, value] : settings)
        key.push_back({path, value});
    return key.dump();
}

std::string StudyCell::label() const
{
    if (settings.empty())
        return "base";
    std::string text;
    for (const auto &[path, value] : settings)
        text += (text.empty() ? "" : " ") + path + "=" + value.dump();
    return text;
}

std::vector<StudyRun> StudySpec::runs() const
{
    std::vector<StudyRun> result;
    for (std::size_t cell = 0; cell < cells.size(); ++cell) {
        for (const auto seed : seeds) {
            StudyRun run;
            run.cellIndex = cell;
            run.seed = seed;
            run.config = baseConfig;
            for (const auto &[path, value] : cells[cell].settings)
                applySetting(run.config, path, value);
            run.config["seed"] = seed;
            run.config["name"] = name + "-c" + std::to_string(cell) + "-s" + std::to_string(seed);
            result.push_back(std::move(run));
        }
    }
    return result;
}

StudySpec parseStudySpec(const nlohmann::json &document, const std::string &source, const std::string &baseDirectory)
{
    StudyReader reader(source);
    StudySpec spec;
    spec.sourcePath = source;
    spec.document = document;
    if (!document.is_object())
        throw ConfigError(source, {{"", "a study must be a JSON object"}}, "study");
    static const std::set<std::string> known
        = {"name", "base", "set", "grid", "random", "seeds", "metric", "baseline", "report"};
    for (const auto &[key, value] : document.items())
        if (!known.count(key))
            reader.fail(key, "unknown key (known: name, base, set, grid, random, seeds, metric, baseline, report)");
    // What the study reports (storage/study_measures.h reads it) is not what
    // it trains: kept out of the stored document, so editing it never makes
    // a new study.
    if (document.contains("report")) {
        spec.report = document["report"];
        spec.document.erase("report");
    }

    if (document.contains("name") && document["name"].is_string() && !document["name"].get<std::string>().empty())
        spec.name = document["name"].get<std::string>();
    else
        reader.fail("name", "must be a non-empty string");

    // base: a path relative to the study file, or a config object.
    if (!document.contains("base")) {
        reader.fail("base", "missing: the run config every cell starts from (a path or an object)");
    } else if (document["base"].is_string()) {
        std::filesystem::path basePath(document["base"].get<std::string>());
        if (basePath.is_relative())
            basePath = std::filesystem::path(baseDirectory) / basePath;
        spec.baseConfig = readJsonFile(basePath.string(), "cannot open the study's base config (\"base\")");
    } else if (document["base"].is_object()) {
        spec.baseConfig = document["base"];
    } else {
        reader.fail("base", "must be a path to a run config or a run config object");
    }
    if (document.contains("set")) {
        const auto &overrides = document["set"];
        if (!overrides.is_array())
            reader.fail("set", "must be an array of \"key.path=value\" strings");
        else
            for (std::size_t i = 0; i < overrides.size(); ++i) {
                if (!overrides[i].is_string()) {
                    reader.fail("set[" + std::to_string(i) + "]", "must be a \"key.path=value\" string");
                    continue;
                }
                try {
                    applyOverride(spec.baseConfig, overrides[i].get<std::string>());
                } catch (const Error &error) {
                    reader.fail("set[" + std::to_string(i) + "]", error.reason());
                }
            }
    }
    // What the store keeps is self-contained: the base config itself (with
    // "set" applied) instead of a path, so a stored study re-expands from any
    // folder, and a base file edited later makes a new study, not the same one.
    if (spec.baseConfig.is_object()) {
        spec.document["base"] = spec.baseConfig;
        spec.document.erase("set");
    }

    // Grid axes, in the order written.
    std::vector<std::pair<std::string, std::vector<nlohmann::json>>> axes;
    if (document.contains("grid")) {
        const auto &grid = document["grid"];
        if (!grid.is_object()) {
            reader.fail("grid", "must be an object: config path -> array of values");
        } else {
            for (const auto &[path, values] : grid.items()) {
                if (!validPath(path))
                    reader.fail("grid." + path, "is not a config path (like adapter.r)");
                else if (!values.is_array() || values.empty())
                    reader.fail("grid." + path, "must be a non-empty array of values");
                else
                    axes.emplace_back(path, std::vector<nlohmann::json>(values.begin(), values.end()));
            }
        }
    }

    // Random trials: each draws every parameter of the space once.
    std::int64_t trials = 0;
    std::uint64_t randomSeed = 0;
    std::vector<std::pair<std::string, Distribution>> space;
    if (document.contains("random")) {
        const auto &random = document["random"];
        if (!random.is_object()) {
            reader.fail("random", "must be an object with trials, seed and space");
        } else {
            for (const auto &[key, value] : random.items())
                if (key != "trials" && key != "seed" && key != "space")
                    reader.fail("random." + key, "unknown key (known: trials, seed, space)");
            if (!random.contains("trials") || !random["trials"].is_number_integer()
                || random["trials"].get<std::int64_t>() < 1)
                reader.fail("random.trials", "must be a whole number >= 1");
            else
                trials = random["trials"].get<std::int64_t>();
            if (random.contains("seed")) {
                if (!isSeed(random["seed"]))
                    reader.fail("random.seed", "must be a whole number >= 0");
                else
                    randomSeed = random["seed"].get<std::uint64_t>();
            }
            if (!random.contains("space") || !random["space"].is_object() || random["space"].empty())
                reader.fail("random.space", "must be an object: config path -> distribution");
            else
                for (const auto &[path, value] : random["space"].items()) {
                    if (!validPath(path))
                        reader.fail("random.space." + path, "is not a config path (like training.lr)");
                    space.emplace_back(path, reader.distribution("random.space." + path, value));
                }
        }
    }

    if (!document.contains("seeds") || !document["seeds"].is_array() || document["seeds"].empty()) {
        reader.fail("seeds", "must be a non-empty array of seeds (whole numbers >= 0)");
    } else {
        std::set<std::uint64_t> seen;
        for (std::size_t i = 0; i < document["seeds"].size(); ++i) {
            const auto &seed = document["seeds"][i];
            if (!isSeed(seed))
                reader.fail("seeds[" + std::to_string(i) + "]", "must be a whole number >= 0");
            else if (!seen.insert(seed.get<std::uint64_t>()).second)
                reader.fail("seeds[" + std::to_string(i) + "]", "repeats seed " + seed.dump());
            else
                spec.seeds.push_back(seed.get<std::uint64_t>());
        }
    }
    if (document.contains("metric")) {
        if (!document["metric"].is_string() || document["metric"].get<std::string>().empty())
            reader.fail("metric", "must be a series name such as \"eval/loss\" or \"eval/exact_match/upper\"");
        else
            spec.metric = document["metric"].get<std::string>();
    }
    reader.throwIfFailed();

    // Cells: grid points (the last axis varies fastest) crossed with trials.
    std::vector<StudyCell> gridCells(1);
    for (const auto &[path, values] : axes) {
        std::vector<StudyCell> next;
        for (const auto &cell : gridCells)
            for (const auto &value : values) {
                StudyCell extended = cell;
                extended.settings.emplace_back(path, value);
                next.push_back(std::move(extended));
            }
        gridCells = std::move(next);
    }
    std::mt19937_64 generator(randomSeed);
    std::vector<StudyCell> trialCells(1);
    if (trials > 0) {
        trialCells.clear();
        for (std::int64_t trial = 0; trial < trials; ++trial) {
            StudyCell cell;
            for (const auto &[path, distribution] : space)
                cell.settings.emplace_back(path, draw(distribution, generator));
            trialCells.push_back(std::move(cell));
        }
    }
    for (const auto &trial : trialCells)
        for (const auto &point : gridCells) {
            StudyCell cell = point;
            cell.settings.insert(cell.settings.end(), trial.settings.begin(), trial.settings.end());
            spec.cells.push_back(std::move(cell));
        }
    if (spec.cells.size() * spec.seeds.size() > kMaxRuns)
        throw ConfigError(source,
                          {{"grid", std::to_string(spec.cells.size()) + " cells x " + std::to_string(spec.seeds.size())
                                        + " seeds is over " + std::to_string(kMaxRuns) + " runs"}},
                          "study");

    // The baseline: the one cell whose settings include every value it names.
    if (document.contains("baseline")) {
        const auto &baseline = document["baseline"];
        if (!baseline.is_object() || baseline.empty())
            throw ConfigError(source, {{"baseline", "must be an object: config path -> value, naming one cell"}},
                              "study");
        std::vector<int> matches;
        for (std::size_t i = 0; i < spec.cells.size(); ++i) {
            bool all = true;
            for (const auto &[path, value] : baseline.items()) {
                bool found = false;
                for (const auto &[cellPath, cellValue] : spec.cells[i].settings)
                    found = found || (cellPath == path && cellValue == value);
                all = all && found;
            }
            if (all)
                matches.push_back(static_cast<int>(i));
        }
        if (matches.size() != 1)
            throw ConfigError(source,
                              {{"baseline", matches.empty() ? "names no cell of the study (" + baseline.dump() + ")"
                                                            : "names " + std::to_string(matches.size())
                                                                  + " cells; give enough settings to pick one"}},
                              "study");
        spec.baselineCell = matches.front();
    }

    // Every run config valid before anything trains.
    for (const auto &run : spec.runs()) {
        try {
            parseRunConfig(run.config, source);
        } catch (const ConfigError &error) {
            std::vector<ConfigIssue> issues;
            const std::string cell
                = "cell " + std::to_string(run.cellIndex) + " (" + spec.cells[run.cellIndex].label() + ")";
            for (const auto &issue : error.issues())
                issues.push_back({issue.path, cell + ": " + issue.reason});
            throw ConfigError(source, issues, "study's run configs");
        } catch (const Error &error) {
            throw Error(source, "cell " + std::to_string(run.cellIndex) + " (" + spec.cells[run.cellIndex].label()
                                    + "): " + error.what());
        }
    }
    return spec;
}

StudySpec loadStudySpec(const std::string &path)
{
    const auto document = readJsonFile(path, "cannot open the study file (missing or unreadable)");
    const auto directory = std::filesystem::path(path).parent_path().string();
    return parseStudySpec(document, path, directory.empty() ? "." : directory);
}

} // namespace lwb
