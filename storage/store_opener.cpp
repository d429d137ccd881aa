// Checks before the first write, then pragmas and migrations (see the header
// for why in this order).
#include "storage/store_opener.h"

#include "storage/schema.h"
#include "storage/sqlite_database.h"

#include <sqlite3.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace lwb::storage {

namespace {

namespace fs = std::filesystem;

// Step 1: the file as a file. Returns true when it exists (and looks usable).
bool checkExistingFile(const std::string &path)
{
    struct stat info
    {
    };
    if (::stat(path.c_str(), &info) != 0) {
        if (errno == ENOENT)
            return false;
        throw Error(path, std::string("cannot access the file: ") + std::strerror(errno));
    }
    if (S_ISDIR(info.st_mode))
        throw Error(path, "is a folder, not a run store file");
    if (!S_ISREG(info.st_mode))
        throw Error(path, "is not a regular file");
    // No write bit at all counts as read-only even for root, who could write anyway.
    const bool writeBits = (info.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) != 0;
    const bool writable = writeBits && ::access(path.c_str(), W_OK) == 0;
    if (!writable) {
        const bool readOnlyFileSystem = writeBits && errno == EROFS;
        throw Error(path, std::string(readOnlyFileSystem ? "the file system is read-only" : "the file is read-only")
                              + "; the run store needs to write to it");
    }
    if (::access(path.c_str(), R_OK) != 0)
        throw Error(path, std::string("cannot read the file: ") + std::strerror(errno));

    // Whether it is an SQLite file at all is asked of SQLite itself (step 2:
    // SQLITE_NOTADB), never by reading the header here: opening and closing
    // the file through another descriptor drops every POSIX lock this process
    // holds on it (fcntl locks belong to the process, not the descriptor), so
    // another process closing its connection would take itself for the last
    // one and delete the -wal and -shm files under this process's open store.

    // SQLite writes -wal and -shm files beside the database.
    const fs::path folder = fs::absolute(fs::path(path)).parent_path();
    if (::access(folder.c_str(), W_OK) != 0)
        throw Error(path, "the folder " + folder.string()
                              + " is not writable; the run store needs to "
                                "create its journal files there");
    return true;
}

void ensureParentFolder(const std::string &path)
{
    const fs::path folder = fs::absolute(fs::path(path)).parent_path();
    std::error_code error;
    fs::create_directories(folder, error);
    if (error)
        throw Error(path, "cannot create the folder " + folder.string() + ": " + error.message());
}

// Switching a new file to WAL needs a moment alone with it, and SQLite does
// not wait for that through the busy handler: a second process opening the
// same new store at the same instant gets SQLITE_BUSY at once. So wait here,
// up to the busy timeout, as every other statement does.
std::string switchToWal(Database &database, int timeoutMs)
{
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    for (;;) {
        try {
            return database.queryText("PRAGMA journal_mode = WAL");
        } catch (const DatabaseError &error) {
            if (!error.isBusy() || std::chrono::steady_clock::now() >= deadline)
                throw;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
}

void applyConnectionSettings(Database &database, const StoreOptions &options)
{
    const std::string mode = switchToWal(database, options.busyTimeoutMs);
    if (mode != "wal")
        throw Error(database.path(), "cannot switch the database to WAL mode (journal mode stays '" + mode
                                         + "'); is it on a network file system?");
    database.execute("PRAGMA foreign_keys = ON");
    database.execute("PRAGMA synchronous = NORMAL");
    // Long series are read in key order: memory-mapped pages save a copy per
    // page, and a larger page cache keeps a plotted series warm.
    database.execute("PRAGMA mmap_size = 268435456");
    database.execute("PRAGMA cache_size = -32768");
    if (options.maxDatabaseBytes > 0) {
        const std::int64_t pageSize = database.queryInt("PRAGMA page_size");
        const std::int64_t pages = std::max<std::int64_t>(1, options.maxDatabaseBytes / pageSize);
        database.execute("PRAGMA max_page_count = " + std::to_string(pages));
    }
}

} // namespace

std::unique_ptr<Database> openStoreDatabase(const std::string &path, const StoreOptions &options)
{
    if (path.empty())
        throw Error("run store", "no database file given");

    const bool exists = checkExistingFile(path);
    if (!exists)
        ensureParentFolder(path);

    auto database = std::make_unique<Database>(path, exists ? Database::OpenMode::ReadWrite
                                                            : Database::OpenMode::ReadWriteCreate);
    sqlite3_busy_timeout(database->handle(), options.busyTimeoutMs);

    // Step 2: read, do not write.
    int version = 0;
    try {
        version = readSchemaVersion(*database);
    } catch (const Error &error) {
        throw Error(path, error.reason() + "; left untouched");
    }
    if (version < 0)
        throw Error(path, "an SQLite database, but not a LoRA Workbench run store (no schema_version "
                          "table); left untouched");
    if (version > kSchemaVersion)
        throw Error(path, "made by a newer LoRA Workbench (schema version " + std::to_string(version)
                              + ", this program knows up to " + std::to_string(kSchemaVersion) + "); left untouched");

    // Step 3: write.
    applyConnectionSettings(*database, options);
    migrate(*database, kSchemaVersion);
    return database;
}

} // namespace lwb::storage
