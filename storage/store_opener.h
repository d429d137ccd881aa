// openStoreDatabase: the careful way into a run store file.
//
// Order matters, because a failed open must leave the file exactly as it was:
//   1. look at the file without SQLite: a directory, a file without write
//      permission or on a read-only file system, a file whose first 16 bytes
//      are not "SQLite format 3\0" -> lwb::Error naming the file;
//   2. open it and read the schema version (a read, no write): tables but no
//      schema_version, or a version newer than this program -> lwb::Error;
//   3. only then write: WAL mode, foreign keys, synchronous=NORMAL, the busy
//      timeout, the optional size limit, and the migrations.
// A missing file is created (with its parent folders).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace lwb::storage {

class Database;

struct StoreOptions
{
    int busyTimeoutMs = 10000;          // how long a write waits for another writer
    std::int64_t maxDatabaseBytes = 0;  // 0: only the disk limits the file (else SQLITE_FULL past it)
    double staleHeartbeatSeconds = 120; // a run from another host with an older heartbeat is interrupted
    bool markInterruptedOnOpen = true;  // see RunStore::markInterruptedRuns
};

std::unique_ptr<Database> openStoreDatabase(const std::string &path, const StoreOptions &options);

} // namespace lwb::storage
