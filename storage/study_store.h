// Studies in the run store: a study (engine/config/study_spec.h: a base
// config, a grid or random search, seeds) and which run trained which of its
// cells on which seed. The same study file opens the same study again (by
// the SHA-256 of its canonical text), which is what makes a study resumable:
// `lorawb study` and the GUI train only the (cell, seed) pairs that have no
// finished run yet.
#pragma once

#include "storage/run_records.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lwb::storage {

class RunStore;

struct StudyRecord
{
    std::int64_t id = 0;
    std::string name;
    std::string specJson; // canonical JSON of the study file
    std::string specSha256;
    std::string metric;     // the series the study reports ("eval/loss")
    double createdAt = 0.0; // Unix seconds
};

struct StudyRunLink
{
    std::int64_t runId = 0;
    std::size_t cellIndex = 0;
    std::string cell; // the cell's settings, [[path, value], ...]
    std::uint64_t seed = 0;
    RunStatus status = RunStatus::Queued;
};

// The study whose canonical spec text is `specJson`, created when new.
// `specJson` must be canonical (sorted keys, compact: nlohmann's dump()).
StudyRecord openStudy(RunStore &store, const std::string &name, const std::string &specJson, const std::string &metric);

std::vector<StudyRecord> listStudies(RunStore &store); // newest first
std::optional<StudyRecord> findStudy(RunStore &store, std::int64_t studyId);

// Records that `runId` trains cell `cellIndex` on `seed` for the study.
void linkStudyRun(RunStore &store, std::int64_t studyId, std::int64_t runId, std::size_t cellIndex,
                  const std::string &cell, std::uint64_t seed);

// Every run of the study with its current status, by cell, seed, run id.
std::vector<StudyRunLink> studyRuns(RunStore &store, std::int64_t studyId);

// Whether the cell already has a finished run on that seed (a resumed study
// skips it).
bool hasFinishedRun(const std::vector<StudyRunLink> &links, std::size_t cellIndex, std::uint64_t seed);

// One (cell, seed) of an expanded study (engine/config/study_spec.h's
// StudySpec::runs()) as plain values, so the store can plan without the engine.
struct StudyRunPlan
{
    std::size_t cellIndex = 0;
    std::uint64_t seed = 0;
    std::string cell;       // the cell's settings text (StudyCell::settingsKey)
    std::string configJson; // the run's full config, its seed and name set
};

// The tag every run of a study carries ("study:NAME"): the run browser and
// `lorawb runs list --tag` find a study's runs by it.
std::string studyTag(const std::string &studyName);

// The planned runs that still need training — those without a finished run
// in the study — in plan order. What makes a study resumable: `lorawb study`
// and the GUI's "Run study" both ask this and train only what it returns.
std::vector<StudyRunPlan> unfinishedStudyRuns(RunStore &store, std::int64_t studyId,
                                              const std::vector<StudyRunPlan> &plans);

// Records that run `runId` (already in the store) trains `plan` for the
// study: the study_runs link and the study's tag. The GUI calls it when a
// job's recorder has created the run.
void attachStudyRun(RunStore &store, const StudyRecord &study, std::int64_t runId, const StudyRunPlan &plan);

// A queued run for `plan` (name, variant, seed and device from its config),
// attached to the study; returns its id. The CLI then trains into it.
std::int64_t createStudyRun(RunStore &store, const StudyRecord &study, const StudyRunPlan &plan);

// Deletes the study and, with `withRuns`, its runs (otherwise they stay as
// ordinary runs).
void deleteStudy(RunStore &store, std::int64_t studyId, bool withRuns);

} // namespace lwb::storage
