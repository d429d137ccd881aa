// Fuzzes opening a run-store file (storage: RunStore over SQLite): the input
// is the whole database file, as a researcher might point the workbench at a
// damaged, foreign or half-copied runs.db. Opening checks the header, the
// schema version and migrates; then what the run browser does: list the runs
// (plain and with their figures), every tag and variant, each run's record,
// artifacts and a config diff of the first runs. Every refusal must be an
// lwb::Error (DatabaseError is one) naming the file; the folder is wiped per
// input so no WAL from an earlier input is replayed.
#include "engine/core/error.h"
#include "fuzz_support.h"
#include "storage/run_store.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const auto &scratch = lwb::fuzz::scratch();
    for (const char *suffix : {"-wal", "-shm", "-journal"})
        scratch.remove(std::string("runs.db") + suffix);
    const auto path = scratch.write("runs.db", lwb::fuzz::bytesOf(data, size));
    try {
        lwb::storage::StoreOptions options;
        options.busyTimeoutMs = 0; // one process: a lock can only be a bug
        lwb::storage::RunStore store(path, options);
        (void)store.schemaVersion();
        const auto runs = store.listRuns();
        (void)store.listRunsWithFigures();
        lwb::storage::RunFilter filter;
        filter.text = "a";
        filter.limit = 3;
        (void)store.listRunsWithFigures(filter);
        (void)store.allTags();
        (void)store.allVariants();
        std::vector<std::int64_t> ids;
        for (const auto &run : runs) {
            (void)store.findRun(run.id);
            (void)store.artifacts(run.id);
            if (ids.size() < 3)
                ids.push_back(run.id);
        }
        (void)store.configDiff(ids);
    } catch (const lwb::Error &) {
    }
    return 0;
}
