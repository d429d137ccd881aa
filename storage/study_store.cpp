// See study_store.h.
#include "storage/study_store.h"

#include "engine/config/run_config.h"
#include "engine/core/error.h"
#include "storage/run_store.h"
#include "storage/sha256.h"
#include "storage/sqlite_database.h"
#include "storage/unix_time.h"

#include <nlohmann/json.hpp>

namespace lwb::storage {
namespace {

StudyRecord studyFromRow(const Statement &row)
{
    StudyRecord study;
    study.id = row.columnInt(0);
    study.name = row.columnText(1);
    study.specJson = row.columnText(2);
    study.specSha256 = row.columnText(3);
    study.metric = row.columnText(4);
    study.createdAt = row.columnDouble(5);
    return study;
}

constexpr const char *kStudyColumns = "SELECT id, name, spec_json, spec_sha256, metric, created_at FROM studies ";

} // namespace

StudyRecord openStudy(RunStore &store, const std::string &name, const std::string &specJson, const std::string &metric)
{
    Database &database = store.database();
    const std::string digest = sha256Hex(specJson);
    Transaction transaction(database);
    {
        auto find = database.cached(std::string(kStudyColumns) + "WHERE spec_sha256 = ?1");
        find->bind(1, digest);
        if (find->step())
            return studyFromRow(*find); // the transaction rolls back: nothing was written
    }
    auto insert = database.cached(
        "INSERT INTO studies (name, spec_json, spec_sha256, metric, created_at) VALUES (?1, ?2, ?3, ?4, ?5)");
    insert->bind(1, name).bind(2, specJson).bind(3, digest).bind(4, metric).bind(5, unixNow());
    insert->run();
    const std::int64_t id = database.lastInsertRowId();
    transaction.commit();
    return *findStudy(store, id);
}

std::vector<StudyRecord> listStudies(RunStore &store)
{
    auto query = store.database().cached(std::string(kStudyColumns) + "ORDER BY id DESC");
    std::vector<StudyRecord> studies;
    while (query->step())
        studies.push_back(studyFromRow(*query));
    return studies;
}

std::optional<StudyRecord> findStudy(RunStore &store, std::int64_t studyId)
{
    auto query = store.database().cached(std::string(kStudyColumns) + "WHERE id = ?1");
    query->bind(1, studyId);
    if (!query->step())
        return std::nullopt;
    return studyFromRow(*query);
}

void linkStudyRun(RunStore &store, std::int64_t studyId, std::int64_t runId, std::size_t cellIndex,
                  const std::string &cell, std::uint64_t seed)
{
    if (!findStudy(store, studyId))
        throw Error(store.path(), "no study " + std::to_string(studyId));
    store.run(runId); // throws for a run that does not exist
    auto insert = store.database().cached(
        "INSERT OR REPLACE INTO study_runs (study_id, run_id, cell_index, cell, seed) VALUES (?1, ?2, ?3, ?4, ?5)");
    insert->bind(1, studyId)
        .bind(2, runId)
        .bind(3, static_cast<std::int64_t>(cellIndex))
        .bind(4, cell)
        .bind(5, static_cast<std::int64_t>(seed));
    insert->run();
}

std::vector<StudyRunLink> studyRuns(RunStore &store, std::int64_t studyId)
{
    auto query = store.database().cached(
        "SELECT s.run_id, s.cell_index, s.cell, s.seed, r.status FROM study_runs s JOIN runs r ON r.id = s.run_id "
        "WHERE s.study_id = ?1 ORDER BY s.cell_index, s.seed, s.run_id");
    query->bind(1, studyId);
    std::vector<StudyRunLink> links;
    while (query->step()) {
        StudyRunLink link;
        link.runId = query->columnInt(0);
        link.cellIndex = static_cast<std::size_t>(query->columnInt(1));
        link.cell = query->columnText(2);
        link.seed = static_cast<std::uint64_t>(query->columnInt(3));
        link.status = parseRunStatus(query->columnText(4)).value_or(RunStatus::Failed);
        links.push_back(std::move(link));
    }
    return links;
}

bool hasFinishedRun(const std::vector<StudyRunLink> &links, std::size_t cellIndex, std::uint64_t seed)
{
    for (const auto &link : links)
        if (link.cellIndex == cellIndex && link.seed == seed && link.status == RunStatus::Finished)
            return true;
    return false;
}

std::string studyTag(const std::string &studyName)
{
    return "study:" + studyName;
}

std::vector<StudyRunPlan> unfinishedStudyRuns(RunStore &store, std::int64_t studyId,
                                              const std::vector<StudyRunPlan> &plans)
{
    const auto links = studyRuns(store, studyId);
    std::vector<StudyRunPlan> unfinished;
    for (const auto &plan : plans)
        if (!hasFinishedRun(links, plan.cellIndex, plan.seed))
            unfinished.push_back(plan);
    return unfinished;
}

void attachStudyRun(RunStore &store, const StudyRecord &study, std::int64_t runId, const StudyRunPlan &plan)
{
    Transaction transaction(store.database());
    linkStudyRun(store, study.id, runId, plan.cellIndex, plan.cell, plan.seed);
    store.addTags(runId, {studyTag(study.name)});
    transaction.commit();
}

std::int64_t createStudyRun(RunStore &store, const StudyRecord &study, const StudyRunPlan &plan)
{
    const auto config = nlohmann::json::parse(plan.configJson, nullptr, false);
    if (!config.is_object())
        throw Error(store.path(), "study " + std::to_string(study.id) + ", cell " + std::to_string(plan.cellIndex)
                                      + ": the run config is not a JSON object");
    NewRun queued;
    queued.name = config.value("name", study.name);
    const auto adapter = config.find("adapter");
    queued.variant = adapter != config.end() && adapter->is_object()
                         ? adapter->value("variant", AdapterConfig().variant)
                         : AdapterConfig().variant;
    queued.configJson = plan.configJson;
    queued.seed = plan.seed;
    queued.device = config.value("device", "cpu");
    Transaction transaction(store.database()); // no run without its link
    const std::int64_t runId = store.createRun(queued);
    attachStudyRun(store, study, runId, plan);
    transaction.commit();
    return runId;
}

void deleteStudy(RunStore &store, std::int64_t studyId, bool withRuns)
{
    if (!findStudy(store, studyId))
        throw Error(store.path(), "no study " + std::to_string(studyId));
    if (withRuns)
        for (const auto &link : studyRuns(store, studyId))
            store.deleteRun(link.runId);
    auto erase = store.database().cached("DELETE FROM studies WHERE id = ?1");
    erase->bind(1, studyId);
    erase->run();
}

} // namespace lwb::storage
