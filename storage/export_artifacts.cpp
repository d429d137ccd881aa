// See export_artifacts.h.
#include "storage/export_artifacts.h"

#include "storage/run_store.h"
#include "storage/sha256.h"
#include "storage/sqlite_database.h"

#include "engine/core/error.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace lwb::storage {

namespace {

constexpr std::size_t kChunkBytes = 1 << 20; // cancel and progress granularity: 1 MiB

std::int64_t fileSize(const std::string &path)
{
    std::error_code error;
    const auto size = std::filesystem::file_size(path, error);
    if (error)
        throw Error(path, "cannot read the exported file: " + error.message());
    return static_cast<std::int64_t>(size);
}

FileDigest hashInChunks(const std::string &path, const HashingControl &control, std::int64_t &doneBytes,
                        std::int64_t totalBytes)
{
    std::ifstream file(path, std::ios::binary);
    if (!file)
        throw Error(path, "cannot open the exported file for its SHA-256");
    Sha256 hash;
    std::vector<char> chunk(kChunkBytes);
    FileDigest digest;
    while (file) {
        if (control.cancelled != nullptr && control.cancelled->load())
            throw HashingCancelled();
        file.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        const auto got = file.gcount();
        if (got <= 0)
            break;
        hash.update(chunk.data(), static_cast<std::size_t>(got));
        digest.sizeBytes += got;
        doneBytes += got;
        if (control.progress)
            control.progress(doneBytes, totalBytes);
    }
    if (file.bad())
        throw Error(path, "read error while hashing the exported file");
    digest.sha256 = hash.finishHex();
    return digest;
}

} // namespace

std::vector<ArtifactRecord> recordExportArtifacts(RunStore &store, std::int64_t runId, const ExportResult &result)
{
    return recordExportArtifacts(store, runId, result, HashingControl{});
}

std::vector<ArtifactRecord> recordExportArtifacts(RunStore &store, std::int64_t runId, const ExportResult &result,
                                                  const HashingControl &control)
{
    std::int64_t totalBytes = 0;
    for (const auto &file : result.files)
        totalBytes += fileSize(file.path);
    std::int64_t doneBytes = 0;
    std::vector<FileDigest> digests;
    digests.reserve(result.files.size());
    for (const auto &file : result.files)
        digests.push_back(hashInChunks(file.path, control, doneBytes, totalBytes));

    std::vector<std::int64_t> ids;
    {
        Transaction transaction(store.database());
        for (std::size_t i = 0; i < result.files.size(); ++i)
            ids.push_back(store.addArtifact(runId, result.artifactKind, result.files[i].path, digests[i]));
        transaction.commit();
    }
    std::vector<ArtifactRecord> recorded;
    for (auto &artifact : store.artifacts(runId)) {
        if (std::find(ids.begin(), ids.end(), artifact.id) != ids.end())
            recorded.push_back(std::move(artifact));
    }
    return recorded;
}

} // namespace lwb::storage
