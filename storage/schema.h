// The run store's schema, as a numbered list of forward migrations.
//
// Version N of the schema is whatever migrations 1..N produce; the SQL of
// every version stays here for good, so that a database made by any earlier
// release upgrades step by step, and the tests can make a database of each
// earlier version and open it with the current code. A migration never edits
// an older one: new columns, tables and indexes come in a new step.
//
//   1  runs, run_tags, series, scalar_samples, vector_samples, evaluations,
//      artifacts, schema_version
//   2  runs: owner_pid, owner_start_ticks, owner_host, heartbeat_at (so that a
//      run whose process died reads `interrupted`), index on runs(status)
//   3  runs: total_steps, start_step, trainable_parameters, total_parameters
//   4  scalar_rollups: min/max/first-NaN per 256-step block of each scalar
//      series (scalar_rollups.h), backfilled from the samples already there
//   5  studies, study_runs: a study (engine/config/study_spec.h) and which
//      run trains which of its cells on which seed (study_store.h)
//
// Each migration runs in its own BEGIN IMMEDIATE transaction, which re-reads
// the version first, so two processes opening an old file at once upgrade it
// once.
#pragma once

namespace lwb::storage {

class Database;

constexpr int kSchemaVersion = 5;

struct Migration
{
    int version;             // the version this step produces
    const char *description; // recorded in schema_version
    const char *sql;
};

// Every migration, in order; migrations()[i].version == i + 1.
const Migration *migrations();
int migrationCount();

// The version recorded in the file: 0 for an empty database, -1 for an SQLite
// database that has tables but no schema_version (not a run store). Read-only.
int readSchemaVersion(Database &database);

// Applies migrations readSchemaVersion()+1 .. targetVersion, each in its own
// transaction. A targetVersion at or below the current one changes nothing
// (there are no downgrades); a file newer than kSchemaVersion is an error.
void migrate(Database &database, int targetVersion = kSchemaVersion);

} // namespace lwb::storage
