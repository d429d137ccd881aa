// Where a model named by a user lives on disk. Besides a plain checkpoint
// folder (config.json + safetensors), a researcher often points at the
// Hugging Face hub cache that huggingface_hub / transformers downloaded into:
//
//   ~/.cache/huggingface/hub/models--ORG--NAME/
//       refs/main                 the commit hash the "main" branch points at
//       snapshots/HASH/...        the files of that commit (links into blobs/)
//
// resolveHubCacheFolder turns the models--ORG--NAME folder into its
// snapshot folder (refs/main, else the only snapshot there is) and returns
// any other path unchanged (a snapshot folder is already a plain folder).
// resolveModelPath (base_model.h) calls it, so model.path in a run config and
// --model of score / generate / eval / inspect all accept both layouts.
#pragma once

#include <string>

namespace lwb {

// lwb::Error (where "model.path") names refs/main or the snapshots folder when
// the cache layout is broken (refs/main names a snapshot that is missing, or
// several snapshots and no refs/main).
std::string resolveHubCacheFolder(const std::string &path);

} // namespace lwb
