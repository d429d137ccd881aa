// recordExportArtifacts: every file of an export (engine/export/run_export.h)
// becomes an artifact of its run — kind, absolute path, size, SHA-256 — so
// that the run store says what was exported where and a copy elsewhere can
// be checked against it (`sha256sum`).
//
// The files are hashed first, outside any transaction (hashing a merged model
// takes a while and must not hold the write lock), then inserted in one
// transaction: either all files of an export are recorded or none.
#pragma once

#include "storage/run_records.h"

#include "engine/export/export_result.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <vector>

namespace lwb::storage {

class RunStore;

// Throws lwb::Error naming the file when one cannot be read, or the store
// when the run does not exist; nothing is recorded then.
std::vector<ArtifactRecord> recordExportArtifacts(RunStore &store, std::int64_t runId, const ExportResult &result);

// Progress and cancel of the hashing (a merged model is gigabytes): the
// caller's thread hashes in chunks, reports bytes done of all files' bytes
// after each chunk, and checks `cancelled` between chunks.
struct HashingControl
{
    std::function<void(std::int64_t doneBytes, std::int64_t totalBytes)> progress; // may be empty
    const std::atomic<bool> *cancelled = nullptr;                                  // may be null
};

// Thrown when HashingControl::cancelled was set; nothing is recorded then.
struct HashingCancelled : std::runtime_error
{
    HashingCancelled()
        : std::runtime_error("hashing cancelled")
    {
    }
};

std::vector<ArtifactRecord> recordExportArtifacts(RunStore &store, std::int64_t runId, const ExportResult &result,
                                                  const HashingControl &control);

} // namespace lwb::storage
