// RunStore: the runs of one SQLite file — create, find, list and filter,
// edit tags and notes, record artifacts, delete, compare configs — and the
// crash rule: a run whose recording process is gone reads `interrupted`.
//
// One RunStore is one connection, for one thread at a time. Several stores
// (threads or processes) may open the same file together: WAL mode lets
// readers run beside the one writer, and a writer waits up to the busy timeout
// for another. Samples are written by SampleWriter (through RunRecorder) and
// read by MetricReader, both on a store's connection.
//
// Every failure is an lwb::Error whose where() is the file path.
#pragma once

#include "storage/config_diff.h"
#include "storage/process_identity.h"
#include "storage/run_records.h"
#include "storage/sha256.h"
#include "storage/store_opener.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lwb::storage {

class Database;

class RunStore
{
public:
    // Opens (or creates) the file; see store_opener.h for the checks. When
    // options.markInterruptedOnOpen, runs left `running` by a dead process are
    // marked `interrupted` before this returns.
    explicit RunStore(const std::string &path, const StoreOptions &options = {});
    ~RunStore();
    RunStore(const RunStore &) = delete;
    RunStore &operator=(const RunStore &) = delete;

    const std::string &path() const;
    Database &database() { return *database_; }
    int schemaVersion();

    // --- runs ---
    std::int64_t createRun(const NewRun &run);
    // Replaces the descriptive fields (name, variant, config, seed, device,
    // program version, sizes) of a run, e.g. a queued run that now starts.
    void updateRun(std::int64_t runId, const NewRun &fields);
    // Status `running`, started now, owned by `owner` (the heartbeat starts).
    void markRunStarted(std::int64_t runId, const ProcessIdentity &owner);
    void heartbeat(std::int64_t runId);
    void finishRun(std::int64_t runId, RunStatus status, const std::string &message = {});

    std::optional<RunRecord> findRun(std::int64_t runId);
    RunRecord run(std::int64_t runId); // throws lwb::Error when there is no such run
    std::vector<RunRecord> listRuns(const RunFilter &filter = {});
    // The same runs with their eval-loss and exact-match figures, in one query
    // whatever the number of runs (the run browser's table).
    std::vector<RunListEntry> listRunsWithFigures(const RunFilter &filter = {});
    void deleteRun(std::int64_t runId); // samples, evaluations, tags, artifacts go with it

    void setNotes(std::int64_t runId, const std::string &notes);
    void addTags(std::int64_t runId, const std::vector<std::string> &tags);
    void removeTags(std::int64_t runId, const std::vector<std::string> &tags);
    std::vector<std::string> allTags();     // every tag in use, sorted
    std::vector<std::string> allVariants(); // every variant in use, sorted

    // --- artifacts ---
    // Hashes the file (size + SHA-256) and records it.
    std::int64_t addArtifact(std::int64_t runId, const std::string &kind, const std::string &path);
    // Records a file whose digest is known (hashed earlier, off the write lock).
    std::int64_t addArtifact(std::int64_t runId, const std::string &kind, const std::string &path,
                             const FileDigest &digest);
    std::vector<ArtifactRecord> artifacts(std::int64_t runId);

    // --- comparison ---
    // Config paths whose values differ among the runs, values in run order.
    std::vector<ConfigDifference> configDiff(const std::vector<std::int64_t> &runIds);

    // --- crash detection ---
    // Marks `interrupted` every `running` run whose owner process is gone (same
    // host: PID + start time) or, for another host or an owner not recorded,
    // whose heartbeat is older than options.staleHeartbeatSeconds. Samples
    // stay as they were flushed. Returns how many runs were marked.
    int markInterruptedRuns();

private:
    void requireRun(std::int64_t runId);

    std::unique_ptr<Database> database_;
    StoreOptions options_;
};

} // namespace lwb::storage
