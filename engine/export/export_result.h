// ExportResult: what an export wrote, torch-free, so that the run store
// (storage/export_artifacts.h) can record each file with its SHA-256 and the
// GUI can list them.
#pragma once

#include <string>
#include <vector>

namespace lwb {

struct ExportedFile
{
    std::string path;     // final absolute path
    std::string relative; // inside the export folder ("adapter_model.safetensors")
};

struct ExportResult
{
    std::string folder;       // final absolute path of the export folder
    std::string format;       // "peft", "merged", "bundle"
    std::string artifactKind; // "peft_adapter", "merged_model", "sira_bundle", ...
    std::vector<ExportedFile> files;
};

} // namespace lwb
