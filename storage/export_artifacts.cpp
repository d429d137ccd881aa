// See export_artifacts.h.
#include "storage/export_artifacts.h"

#include "storage/run_store.h"
#include "storage/sha256.h"
#include "storage/sqlite_database.h"

#include <algorithm>

namespace lwb::storage {

std::vector<ArtifactRecord> recordExportArtifacts(RunStore &store, std::int64_t runId, const ExportResult &result)
{
    std::vector<FileDigest> digests;
    digests.reserve(result.files.size());
    for (const auto &file : result.files)
        digests.push_back(sha256File(file.path));

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
