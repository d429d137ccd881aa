// The SQL of every schema version (see schema.h for the list) and the loop
// that applies them in order.
//
// Conventions: times are Unix seconds as REAL; sample tables are WITHOUT ROWID
// with a primary key that starts with run_id, so that reading one series of
// one run is a range scan and deleting a run cascades through an index.
#include "storage/schema.h"

#include "storage/sqlite_database.h"
#include "storage/unix_time.h"

#include <string>

namespace lwb::storage {

namespace {

const char kVersion1[] = R"sql(
CREATE TABLE schema_version (
    version     INTEGER PRIMARY KEY,
    applied_at  REAL NOT NULL,
    description TEXT NOT NULL
);

CREATE TABLE runs (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    variant         TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'running', 'finished', 'failed', 'cancelled', 'interrupted')),
    status_message  TEXT NOT NULL DEFAULT '',
    config_json     TEXT NOT NULL DEFAULT '{}',
    config_sha256   TEXT NOT NULL DEFAULT '',
    seed            INTEGER NOT NULL DEFAULT 0,
    device          TEXT NOT NULL DEFAULT '',
    program_version TEXT NOT NULL DEFAULT '',
    created_at      REAL NOT NULL,
    started_at      REAL,
    finished_at     REAL,
    notes           TEXT NOT NULL DEFAULT '',
    parent_run_id   INTEGER REFERENCES runs(id) ON DELETE SET NULL
);
CREATE INDEX runs_by_parent ON runs(parent_run_id);
CREATE INDEX runs_by_config ON runs(config_sha256);

CREATE TABLE run_tags (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    tag    TEXT NOT NULL,
    PRIMARY KEY (run_id, tag)
) WITHOUT ROWID;
CREATE INDEX run_tags_by_tag ON run_tags(tag);

CREATE TABLE series (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE scalar_samples (
    run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    series_id    INTEGER NOT NULL REFERENCES series(id),
    step         INTEGER NOT NULL,
    value        REAL,             -- NULL: NaN (SQLite stores no NaN), e.g. a diverged loss
    wall_seconds REAL NOT NULL,
    PRIMARY KEY (run_id, series_id, step)
) WITHOUT ROWID;

CREATE TABLE vector_samples (
    run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    series_id    INTEGER NOT NULL REFERENCES series(id),
    layer        TEXT NOT NULL,
    step         INTEGER NOT NULL,
    value_count  INTEGER NOT NULL,
    values_f32   BLOB NOT NULL,
    wall_seconds REAL NOT NULL,
    PRIMARY KEY (run_id, series_id, layer, step)
) WITHOUT ROWID;

CREATE TABLE evaluations (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step   INTEGER NOT NULL,
    task   TEXT NOT NULL,
    metric TEXT NOT NULL,
    value  REAL,                   -- NULL: NaN
    PRIMARY KEY (run_id, step, task, metric)
) WITHOUT ROWID;

CREATE TABLE artifacts (
    id         INTEGER PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    path       TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256     TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX artifacts_by_run ON artifacts(run_id);
)sql";

const char kVersion2[] = R"sql(
ALTER TABLE runs ADD COLUMN owner_pid INTEGER;
ALTER TABLE runs ADD COLUMN owner_start_ticks INTEGER;
ALTER TABLE runs ADD COLUMN owner_host TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN heartbeat_at REAL;
CREATE INDEX runs_by_status ON runs(status);
)sql";

const char kVersion3[] = R"sql(
ALTER TABLE runs ADD COLUMN total_steps INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN start_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN trainable_parameters INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN total_parameters INTEGER NOT NULL DEFAULT 0;
)sql";

// Frozen copy of the rollup definition (live one: scalar_rollups.cpp), used
// once to backfill the samples recorded before version 4.
const char kVersion4[] = R"sql(
CREATE TABLE scalar_rollups (
    run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    series_id    INTEGER NOT NULL REFERENCES series(id),
    block        INTEGER NOT NULL,  -- steps [block * 256, block * 256 + 255]
    sample_count INTEGER NOT NULL,
    min_step     INTEGER,           -- NULL when the block holds only NaN
    min_value    REAL,
    min_wall     REAL,
    max_step     INTEGER,
    max_value    REAL,
    max_wall     REAL,
    nan_step     INTEGER,           -- first NaN of the block, NULL when none
    nan_wall     REAL,
    PRIMARY KEY (run_id, series_id, block)
) WITHOUT ROWID;

WITH ranked AS (
    SELECT run_id, series_id, step >> 8 AS block, step, value, wall_seconds,
           row_number() OVER (PARTITION BY run_id, series_id, step >> 8
                              ORDER BY value IS NULL, value, step) AS min_rank,
           row_number() OVER (PARTITION BY run_id, series_id, step >> 8
                              ORDER BY value IS NULL, value DESC, step) AS max_rank,
           row_number() OVER (PARTITION BY run_id, series_id, step >> 8
                              ORDER BY value IS NOT NULL, step) AS nan_rank
    FROM scalar_samples
)
INSERT INTO scalar_rollups
    (run_id, series_id, block, sample_count, min_step, min_value, min_wall,
     max_step, max_value, max_wall, nan_step, nan_wall)
SELECT run_id, series_id, block, count(*),
       max(CASE WHEN min_rank = 1 AND value IS NOT NULL THEN step END),
       max(CASE WHEN min_rank = 1 AND value IS NOT NULL THEN value END),
       max(CASE WHEN min_rank = 1 AND value IS NOT NULL THEN wall_seconds END),
       max(CASE WHEN max_rank = 1 AND value IS NOT NULL THEN step END),
       max(CASE WHEN max_rank = 1 AND value IS NOT NULL THEN value END),
       max(CASE WHEN max_rank = 1 AND value IS NOT NULL THEN wall_seconds END),
       max(CASE WHEN nan_rank = 1 AND value IS NULL THEN step END),
       max(CASE WHEN nan_rank = 1 AND value IS NULL THEN wall_seconds END)
FROM ranked GROUP BY run_id, series_id, block;
)sql";

const char kVersion5[] = R"sql(
CREATE TABLE studies (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    spec_json   TEXT NOT NULL,          -- the study file as written (canonical JSON)
    spec_sha256 TEXT NOT NULL UNIQUE,   -- the same study file opens the same study
    metric      TEXT NOT NULL,
    created_at  REAL NOT NULL
);
CREATE TABLE study_runs (
    study_id   INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    cell_index INTEGER NOT NULL,
    cell       TEXT NOT NULL,           -- the cell's settings: [[path, value], ...]
    seed       INTEGER NOT NULL,
    PRIMARY KEY (study_id, run_id)
) WITHOUT ROWID;
CREATE INDEX study_runs_by_cell ON study_runs(study_id, cell_index, seed);
CREATE INDEX study_runs_by_run ON study_runs(run_id);
)sql";

const Migration kMigrations[] = {
    {1, "runs, tags, series, scalar and vector samples, evaluations, artifacts", kVersion1},
    {2, "run owner process and heartbeat for crash detection", kVersion2},
    {3, "run sizes: total and start step, parameter counts", kVersion3},
    {4, "per-block min/max rollups of scalar series for fast downsampled reads", kVersion4},
    {5, "studies: a grid or random search x seeds, and the runs of each cell", kVersion5},
};

static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kSchemaVersion, "one migration per schema version");

} // namespace

const Migration *migrations()
{
    return kMigrations;
}

int migrationCount()
{
    return kSchemaVersion;
}

int readSchemaVersion(Database &database)
{
    // One statement, one snapshot: asked in two queries, another process
    // creating the schema between them would make a fresh store look foreign.
    bool hasVersionTable = false;
    std::int64_t tableCount = 0;
    {
        auto tables = database.cached(
            "SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'),"
            "       (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%')");
        tables->step();
        hasVersionTable = tables->columnInt(0) > 0;
        tableCount = tables->columnInt(1);
    }
    if (!hasVersionTable)
        return tableCount == 0 ? 0 : -1;
    return static_cast<int>(database.queryInt("SELECT coalesce(max(version), 0) FROM schema_version"));
}

void migrate(Database &database, int targetVersion)
{
    if (targetVersion < 0 || targetVersion > kSchemaVersion)
        throw Error(database.path(), "no schema version " + std::to_string(targetVersion));
    for (const Migration &migration : kMigrations) {
        if (migration.version > targetVersion)
            break;
        Transaction transaction(database, Transaction::Kind::Immediate);
        const int current = readSchemaVersion(database);
        if (current < 0)
            throw Error(database.path(), "not a LoRA Workbench run store (it has tables but no schema_version)");
        if (current >= migration.version)
            continue; // done before, maybe by another process just now
        if (current != migration.version - 1)
            throw Error(database.path(), "schema version " + std::to_string(current) + " has no migration path");
        database.execute(migration.sql);
        auto record
            = database.cached("INSERT INTO schema_version (version, applied_at, description) VALUES (?1, ?2, ?3)");
        record->bind(1, migration.version).bind(2, unixNow()).bind(3, migration.description);
        record->run();
        transaction.commit();
    }
}

} // namespace lwb::storage
