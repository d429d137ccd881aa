// The values the run store hands out and takes in: run rows, filters, series
// points, evaluations, artifacts. Plain structs, no SQLite, so that the UI and
// the CLI can hold them without knowing how they are stored.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lwb::storage {

enum class RunStatus { Queued, Running, Finished, Failed, Cancelled, Interrupted };

// The words stored in runs.status.
const char *toString(RunStatus status);
// Inverse of toString; std::nullopt for a word that is not a status.
std::optional<RunStatus> parseRunStatus(const std::string &text);

// What a caller supplies to create a run row.
struct NewRun
{
    std::string name;
    std::string variant;
    std::string configJson = "{}"; // stored canonicalised (sorted keys), hashed with SHA-256
    std::uint64_t seed = 0;
    std::string device;
    std::string programVersion;
    std::vector<std::string> tags;
    std::string notes;
    std::int64_t parentRunId = 0; // 0: none
    RunStatus status = RunStatus::Queued;
    std::int64_t totalSteps = 0;
    std::int64_t startStep = 0;
    std::int64_t trainableParameters = 0;
    std::int64_t totalParameters = 0;
};

struct RunRecord
{
    std::int64_t id = 0;
    std::string name;
    std::string variant;
    RunStatus status = RunStatus::Queued;
    std::string statusMessage;
    std::string configJson;
    std::string configSha256;
    std::uint64_t seed = 0;
    std::string device;
    std::string programVersion;
    double createdAt = 0.0; // Unix seconds
    std::optional<double> startedAt;
    std::optional<double> finishedAt;
    std::vector<std::string> tags; // sorted
    std::string notes;
    std::int64_t parentRunId = 0; // 0: none
    std::int64_t totalSteps = 0;
    std::int64_t startStep = 0;
    std::int64_t trainableParameters = 0;
    std::int64_t totalParameters = 0;
    std::int64_t ownerPid = 0; // process that runs it (0: unknown)
    std::string ownerHost;
    std::optional<double> heartbeatAt;
};

// One row of the run list: the run and the figures a table of runs shows,
// read for every listed run by one statement (RunStore::listRunsWithFigures).
struct RunListEntry
{
    RunRecord run;
    std::optional<double> finalEvalLoss;  // eval/loss: latest finite value
    std::optional<double> bestEvalLoss;   // eval/loss: lowest finite value
    std::optional<double> meanExactMatch; // mean over tasks of eval/exact_match/<task>'s latest finite value
};

// listRuns(): every field that is set narrows the list (AND).
struct RunFilter
{
    std::vector<RunStatus> statuses; // any of these; empty: all
    std::string variant;             // exact; empty: all
    std::string tag;                 // runs carrying this tag; empty: all
    std::string text;                // substring of name or notes, case-insensitive (ASCII)
    std::int64_t limit = -1;         // newest first; -1: no limit
    std::int64_t offset = 0;
};

struct SeriesPoint
{
    std::int64_t step = 0;
    double value = 0.0;
    double wallSeconds = 0.0; // seconds since the run started
};

// Step range and downsampling of one series read.
struct SeriesQuery
{
    std::optional<std::int64_t> fromStep; // inclusive
    std::optional<std::int64_t> toStep;   // inclusive
    // 0: every point. Otherwise at most this many points: the step range is cut
    // into maxPoints/2 equal buckets and each keeps its minimum and its maximum,
    // so a spike survives any zoom level.
    std::size_t maxPoints = 0;
};

struct RunSeries
{
    std::int64_t runId = 0;
    std::string series;
    std::vector<SeriesPoint> points;
};

struct VectorPoint
{
    std::int64_t step = 0;
    std::vector<float> values;
    double wallSeconds = 0.0;
};

// Latest and best value of one scalar series of one run.
struct SeriesSummary
{
    std::string series;
    std::int64_t count = 0;
    std::int64_t latestStep = 0;
    double latestValue = 0.0;
    std::int64_t bestStep = 0;
    double bestValue = 0.0;
    bool higherIsBetter = false;
};

struct EvaluationRecord
{
    std::int64_t step = 0;
    std::string task;
    std::string metric;
    double value = 0.0;
};

struct ArtifactRecord
{
    std::int64_t id = 0;
    std::int64_t runId = 0;
    std::string kind; // "checkpoint", "peft_adapter", "merged_model", ...
    std::string path;
    std::int64_t sizeBytes = 0;
    std::string sha256;
    double createdAt = 0.0;
};

} // namespace lwb::storage
