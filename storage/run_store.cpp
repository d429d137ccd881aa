// RunStore: the runs table and what hangs off it (tags, artifacts), plus the
// interrupted-run rule. Every statement is fixed SQL with bound parameters;
// filters that may be absent are written as (?N = '' OR ...).
#include "storage/run_store.h"

#include "storage/metric_samples.h"
#include "storage/schema.h"
#include "storage/sha256.h"
#include "storage/sqlite_database.h"
#include "storage/unix_time.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace lwb::storage {

namespace {

const char kRunColumns[]
    = "r.id, r.name, r.variant, r.status, r.status_message, r.config_json, r.config_sha256, r.seed, "
      "r.device, r.program_version, r.created_at, r.started_at, r.finished_at, r.notes, r.parent_run_id, "
      "r.total_steps, r.start_step, r.trainable_parameters, r.total_parameters, r.owner_pid, r.owner_host, "
      "r.heartbeat_at, "
      "(SELECT group_concat(tag, char(31)) FROM (SELECT tag FROM run_tags WHERE run_id = r.id ORDER BY tag))";

constexpr int kRunColumnCount = 23; // the columns above, read by readRun

constexpr char kTagSeparator = '\x1f';

// The WHERE clause of a run list (RunFilter), parameters ?1 to ?5.
const char kRunFilter[] = "(?1 = 0 OR (?1 & (CASE r.status WHEN 'queued' THEN 1 WHEN 'running' THEN 2 "
                          "  WHEN 'finished' THEN 4 WHEN 'failed' THEN 8 WHEN 'cancelled' THEN 16 "
                          "  WHEN 'interrupted' THEN 32 ELSE 0 END)) != 0) "
                          "AND (?2 = '' OR r.variant = ?2) "
                          "AND (?3 = '' OR EXISTS (SELECT 1 FROM run_tags t WHERE t.run_id = r.id AND t.tag = ?3)) "
                          "AND (?4 = '' OR r.name LIKE ?5 ESCAPE '\\' OR r.notes LIKE ?5 ESCAPE '\\')";

std::optional<double> optionalDouble(const Statement &row, int column)
{
    if (row.isNull(column))
        return std::nullopt;
    return row.columnDouble(column);
}

RunRecord readRun(const Statement &row)
{
    RunRecord run;
    run.id = row.columnInt(0);
    run.name = row.columnText(1);
    run.variant = row.columnText(2);
    run.status = parseRunStatus(row.columnText(3)).value_or(RunStatus::Failed);
    run.statusMessage = row.columnText(4);
    run.configJson = row.columnText(5);
    run.configSha256 = row.columnText(6);
    run.seed = static_cast<std::uint64_t>(row.columnInt(7));
    run.device = row.columnText(8);
    run.programVersion = row.columnText(9);
    run.createdAt = row.columnDouble(10);
    run.startedAt = optionalDouble(row, 11);
    run.finishedAt = optionalDouble(row, 12);
    run.notes = row.columnText(13);
    run.parentRunId = row.isNull(14) ? 0 : row.columnInt(14);
    run.totalSteps = row.columnInt(15);
    run.startStep = row.columnInt(16);
    run.trainableParameters = row.columnInt(17);
    run.totalParameters = row.columnInt(18);
    run.ownerPid = row.isNull(19) ? 0 : row.columnInt(19);
    run.ownerHost = row.columnText(20);
    run.heartbeatAt = optionalDouble(row, 21);
    const std::string tags = row.columnText(22);
    std::size_t begin = 0;
    while (begin < tags.size()) {
        std::size_t end = tags.find(kTagSeparator, begin);
        if (end == std::string::npos)
            end = tags.size();
        run.tags.push_back(tags.substr(begin, end - begin));
        begin = end + 1;
    }
    return run;
}

std::string canonicalConfig(const std::string &path, const std::string &name, const std::string &configJson)
{
    if (configJson.empty())
        return "{}";
    try {
        return nlohmann::json::parse(configJson).dump();
    } catch (const nlohmann::json::parse_error &error) {
        throw Error(path, "the config of run '" + name + "' is not valid JSON: " + error.what());
    }
}

std::string normaliseTag(const std::string &path, const std::string &tag)
{
    const auto first = tag.find_first_not_of(" \t");
    const auto last = tag.find_last_not_of(" \t");
    if (first == std::string::npos)
        throw Error(path, "a tag cannot be empty");
    std::string trimmed = tag.substr(first, last - first + 1);
    for (unsigned char c : trimmed) {
        if (c < 0x20)
            throw Error(path, "the tag '" + trimmed + "' contains a control character");
    }
    return trimmed;
}

// LIKE pattern for "contains text", with \ as the escape character.
std::string containsPattern(const std::string &text)
{
    std::string pattern = "%";
    for (char c : text) {
        if (c == '%' || c == '_' || c == '\\')
            pattern.push_back('\\');
        pattern.push_back(c);
    }
    pattern.push_back('%');
    return pattern;
}

int statusBit(RunStatus status)
{
    return 1 << static_cast<int>(status);
}

// Binds kRunFilter's ?1..?5 and the page's ?6 (limit) and ?7 (offset).
void bindRunFilter(Statement &query, const RunFilter &filter)
{
    static_assert(static_cast<int>(RunStatus::Queued) == 0 && static_cast<int>(RunStatus::Interrupted) == 5,
                  "kRunFilter's CASE maps statuses to bits 1 << enum value");
    int statusMask = 0;
    for (RunStatus status : filter.statuses)
        statusMask |= statusBit(status);
    query.bind(1, statusMask)
        .bind(2, filter.variant)
        .bind(3, filter.tag)
        .bind(4, filter.text)
        .bind(5, containsPattern(filter.text))
        .bind(6, filter.limit)
        .bind(7, filter.offset);
}

void bindRunFields(Statement &statement, const NewRun &run, const std::string &config)
{
    statement.bind(1, run.name)
        .bind(2, run.variant)
        .bind(3, config)
        .bind(4, sha256Hex(config))
        .bind(5, static_cast<std::int64_t>(run.seed))
        .bind(6, run.device)
        .bind(7, run.programVersion)
        .bind(8, run.totalSteps)
        .bind(9, run.startStep)
        .bind(10, run.trainableParameters)
        .bind(11, run.totalParameters);
}

} // namespace

RunStore::RunStore(const std::string &path, const StoreOptions &options)
    : database_(openStoreDatabase(path, options))
    , options_(options)
{
    if (options_.markInterruptedOnOpen)
        markInterruptedRuns();
}

RunStore::~RunStore() = default;

const std::string &RunStore::path() const
{
    return database_->path();
}

int RunStore::schemaVersion()
{
    return readSchemaVersion(*database_);
}

void RunStore::requireRun(std::int64_t runId)
{
    auto query = database_->cached("SELECT 1 FROM runs WHERE id = ?1");
    query->bind(1, runId);
    if (!query->step())
        throw Error(path(), "no run with id " + std::to_string(runId));
}

std::int64_t RunStore::createRun(const NewRun &run)
{
    const std::string config = canonicalConfig(path(), run.name, run.configJson);
    Transaction transaction(*database_);
    if (run.parentRunId != 0)
        requireRun(run.parentRunId);
    auto insert = database_->cached(
        "INSERT INTO runs (name, variant, config_json, config_sha256, seed, device, program_version, "
        "total_steps, start_step, trainable_parameters, total_parameters, status, notes, parent_run_id, "
        "created_at, started_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)");
    bindRunFields(*insert, run, config);
    insert->bind(12, toString(run.status)).bind(13, run.notes);
    if (run.parentRunId != 0)
        insert->bind(14, run.parentRunId);
    const double now = unixNow();
    insert->bind(15, now);
    if (run.status != RunStatus::Queued)
        insert->bind(16, now);
    insert->run();
    const std::int64_t runId = database_->lastInsertRowId();
    auto tag = database_->cached("INSERT OR IGNORE INTO run_tags (run_id, tag) VALUES (?1, ?2)");
    for (const std::string &name : run.tags) {
        tag->bind(1, runId).bind(2, normaliseTag(path(), name));
        tag->run();
    }
    transaction.commit();
    return runId;
}

void RunStore::updateRun(std::int64_t runId, const NewRun &fields)
{
    const std::string config = canonicalConfig(path(), fields.name, fields.configJson);
    auto update
        = database_->cached("UPDATE runs SET name = ?1, variant = ?2, config_json = ?3, config_sha256 = ?4, seed = ?5, "
                            "device = ?6, program_version = ?7, total_steps = ?8, start_step = ?9, "
                            "trainable_parameters = ?10, total_parameters = ?11 WHERE id = ?12");
    bindRunFields(*update, fields, config);
    update->bind(12, runId);
    update->run();
    if (database_->changes() == 0)
        throw Error(path(), "no run with id " + std::to_string(runId));
}

void RunStore::markRunStarted(std::int64_t runId, const ProcessIdentity &owner)
{
    auto update = database_->cached(
        "UPDATE runs SET status = 'running', status_message = '', started_at = ?2, finished_at = NULL, "
        "owner_pid = ?3, owner_start_ticks = ?4, owner_host = ?5, heartbeat_at = ?2 WHERE id = ?1");
    update->bind(1, runId).bind(2, unixNow()).bind(3, owner.pid).bind(4, owner.startTicks).bind(5, owner.host);
    update->run();
    if (database_->changes() == 0)
        throw Error(path(), "no run with id " + std::to_string(runId));
}

void RunStore::heartbeat(std::int64_t runId)
{
    auto update = database_->cached("UPDATE runs SET heartbeat_at = ?2 WHERE id = ?1");
    update->bind(1, runId).bind(2, unixNow());
    update->run();
}

void RunStore::finishRun(std::int64_t runId, RunStatus status, const std::string &message)
{
    auto update = database_->cached(
        "UPDATE runs SET status = ?2, status_message = ?3, finished_at = ?4, heartbeat_at = ?4 WHERE id = ?1");
    update->bind(1, runId).bind(2, toString(status)).bind(3, message).bind(4, unixNow());
    update->run();
    if (database_->changes() == 0)
        throw Error(path(), "no run with id " + std::to_string(runId));
}

std::optional<RunRecord> RunStore::findRun(std::int64_t runId)
{
    auto query = database_->cached(std::string("SELECT ") + kRunColumns + " FROM runs r WHERE r.id = ?1");
    query->bind(1, runId);
    if (!query->step())
        return std::nullopt;
    return readRun(*query);
}

RunRecord RunStore::run(std::int64_t runId)
{
    std::optional<RunRecord> found = findRun(runId);
    if (!found)
        throw Error(path(), "no run with id " + std::to_string(runId));
    return std::move(*found);
}

std::vector<RunRecord> RunStore::listRuns(const RunFilter &filter)
{
    auto query = database_->cached(std::string("SELECT ") + kRunColumns + " FROM runs r WHERE " + kRunFilter
                                   + " ORDER BY r.created_at DESC, r.id DESC LIMIT ?6 OFFSET ?7");
    bindRunFilter(*query, filter);
    std::vector<RunRecord> runs;
    while (query->step())
        runs.push_back(readRun(*query));
    return runs;
}

std::vector<RunListEntry> RunStore::listRunsWithFigures(const RunFilter &filter)
{
    // One statement for the whole list. `picked` is the filtered page of runs;
    // crossed with the few wanted series, each (run, series) pair is a range of
    // the sample table's primary key, so the work grows with the evaluations
    // of the listed runs, never with their training steps. Within a pair the
    // newest finite sample is the latest value and the smallest the best
    // (a loss: lower is better); NULL (NaN) samples count for neither.
    auto query = database_->cached(
        std::string("WITH picked AS (SELECT r.id FROM runs r WHERE ") + kRunFilter
        + " ORDER BY r.created_at DESC, r.id DESC LIMIT ?6 OFFSET ?7), "
          "wanted AS (SELECT id, name = ?8 AS is_loss FROM series "
          "  WHERE name = ?8 OR substr(name, 1, length(?9)) = ?9), "
          "samples AS (SELECT p.id AS run_id, w.is_loss, x.value, "
          "  row_number() OVER (PARTITION BY p.id, w.id ORDER BY x.step DESC) AS recency, "
          "  min(x.value) OVER (PARTITION BY p.id, w.id) AS lowest "
          "  FROM picked p CROSS JOIN wanted w "
          "  JOIN scalar_samples x ON x.run_id = p.id AND x.series_id = w.id WHERE x.value IS NOT NULL), "
          "figures AS (SELECT run_id, "
          "  max(CASE WHEN is_loss AND recency = 1 THEN value END) AS final_loss, "
          "  max(CASE WHEN is_loss AND recency = 1 THEN lowest END) AS best_loss, "
          "  avg(CASE WHEN NOT is_loss AND recency = 1 THEN value END) AS mean_exact "
          "  FROM samples GROUP BY run_id) "
          "SELECT "
        + kRunColumns
        + ", f.final_loss, f.best_loss, f.mean_exact "
          "FROM picked p JOIN runs r ON r.id = p.id LEFT JOIN figures f ON f.run_id = r.id "
          "ORDER BY r.created_at DESC, r.id DESC");
    bindRunFilter(*query, filter);
    query->bind(8, series::kEvalLoss).bind(9, series::kEvalExactMatchPrefix);
    std::vector<RunListEntry> entries;
    while (query->step()) {
        RunListEntry entry;
        entry.run = readRun(*query);
        entry.finalEvalLoss = optionalDouble(*query, kRunColumnCount);
        entry.bestEvalLoss = optionalDouble(*query, kRunColumnCount + 1);
        entry.meanExactMatch = optionalDouble(*query, kRunColumnCount + 2);
        entries.push_back(std::move(entry));
    }
    return entries;
}

void RunStore::deleteRun(std::int64_t runId)
{
    Transaction transaction(*database_);
    auto remove = database_->cached("DELETE FROM runs WHERE id = ?1");
    remove->bind(1, runId);
    remove->run();
    if (database_->changes() == 0)
        throw Error(path(), "no run with id " + std::to_string(runId));
    transaction.commit();
}

void RunStore::setNotes(std::int64_t runId, const std::string &notes)
{
    auto update = database_->cached("UPDATE runs SET notes = ?2 WHERE id = ?1");
    update->bind(1, runId).bind(2, notes);
    update->run();
    if (database_->changes() == 0)
        throw Error(path(), "no run with id " + std::to_string(runId));
}

void RunStore::addTags(std::int64_t runId, const std::vector<std::string> &tags)
{
    Transaction transaction(*database_);
    requireRun(runId);
    auto insert = database_->cached("INSERT OR IGNORE INTO run_tags (run_id, tag) VALUES (?1, ?2)");
    for (const std::string &tag : tags) {
        insert->bind(1, runId).bind(2, normaliseTag(path(), tag));
        insert->run();
    }
    transaction.commit();
}

void RunStore::removeTags(std::int64_t runId, const std::vector<std::string> &tags)
{
    Transaction transaction(*database_);
    requireRun(runId);
    auto remove = database_->cached("DELETE FROM run_tags WHERE run_id = ?1 AND tag = ?2");
    for (const std::string &tag : tags) {
        remove->bind(1, runId).bind(2, normaliseTag(path(), tag));
        remove->run();
    }
    transaction.commit();
}

std::vector<std::string> RunStore::allTags()
{
    auto query = database_->cached("SELECT DISTINCT tag FROM run_tags ORDER BY tag");
    std::vector<std::string> tags;
    while (query->step())
        tags.push_back(query->columnText(0));
    return tags;
}

std::vector<std::string> RunStore::allVariants()
{
    auto query = database_->cached("SELECT DISTINCT variant FROM runs WHERE variant != '' ORDER BY variant");
    std::vector<std::string> variants;
    while (query->step())
        variants.push_back(query->columnText(0));
    return variants;
}

std::int64_t RunStore::addArtifact(std::int64_t runId, const std::string &kind, const std::string &filePath)
{
    return addArtifact(runId, kind, filePath, sha256File(filePath));
}

std::int64_t RunStore::addArtifact(std::int64_t runId, const std::string &kind, const std::string &filePath,
                                   const FileDigest &digest)
{
    auto insert = database_->cached("INSERT INTO artifacts (run_id, kind, path, size_bytes, sha256, created_at) "
                                    "SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM runs WHERE id = ?1)");
    insert->bind(1, runId).bind(2, kind).bind(3, filePath).bind(4, digest.sizeBytes).bind(5, digest.sha256);
    insert->bind(6, unixNow());
    insert->run();
    if (database_->changes() == 0)
        throw Error(path(), "no run with id " + std::to_string(runId));
    return database_->lastInsertRowId();
}

std::vector<ArtifactRecord> RunStore::artifacts(std::int64_t runId)
{
    auto query = database_->cached(
        "SELECT id, run_id, kind, path, size_bytes, sha256, created_at FROM artifacts WHERE run_id = ?1 "
        "ORDER BY created_at, id");
    query->bind(1, runId);
    std::vector<ArtifactRecord> artifacts;
    while (query->step()) {
        ArtifactRecord artifact;
        artifact.id = query->columnInt(0);
        artifact.runId = query->columnInt(1);
        artifact.kind = query->columnText(2);
        artifact.path = query->columnText(3);
        artifact.sizeBytes = query->columnInt(4);
        artifact.sha256 = query->columnText(5);
        artifact.createdAt = query->columnDouble(6);
        artifacts.push_back(std::move(artifact));
    }
    return artifacts;
}

std::vector<ConfigDifference> RunStore::configDiff(const std::vector<std::int64_t> &runIds)
{
    std::vector<std::string> configs;
    configs.reserve(runIds.size());
    for (std::int64_t runId : runIds)
        configs.push_back(run(runId).configJson);
    return diffConfigs(configs);
}

int RunStore::markInterruptedRuns()
{
    struct Verdict
    {
        std::int64_t runId;
        std::string message;
    };
    std::vector<Verdict> interrupted;
    const double now = unixNow();
    {
        auto query
            = database_->cached("SELECT id, owner_pid, owner_start_ticks, owner_host, "
                                "coalesce(heartbeat_at, started_at, created_at) FROM runs WHERE status = 'running'");
        while (query->step()) {
            ProcessIdentity owner;
            owner.pid = query->isNull(1) ? 0 : query->columnInt(1);
            owner.startTicks = query->isNull(2) ? 0 : query->columnInt(2);
            owner.host = query->columnText(3);
            const double lastSign = query->columnDouble(4);
            const ProcessState state = processState(owner);
            if (state == ProcessState::Gone) {
                interrupted.push_back({query->columnInt(0), "the recording process (PID " + std::to_string(owner.pid)
                                                                + ") ended without finishing the run"});
            } else if (state == ProcessState::Unknown && now - lastSign > options_.staleHeartbeatSeconds) {
                const std::string where = owner.host.empty() ? std::string() : " from host " + owner.host;
                interrupted.push_back({query->columnInt(0), "no heartbeat" + where + " for "
                                                                + std::to_string(std::lround(now - lastSign))
                                                                + " s; the recording process is presumed dead"});
            }
        }
    }
    if (interrupted.empty())
        return 0;

    int marked = 0;
    Transaction transaction(*database_);
    auto update = database_->cached(
        "UPDATE runs SET status = 'interrupted', status_message = ?2, "
        "finished_at = coalesce(heartbeat_at, started_at, created_at) WHERE id = ?1 AND status = 'running'");
    for (const Verdict &verdict : interrupted) {
        update->bind(1, verdict.runId).bind(2, verdict.message);
        update->run();
        marked += database_->changes();
    }
    transaction.commit();
    return marked;
}

} // namespace lwb::storage
