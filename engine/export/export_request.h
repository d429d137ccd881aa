// RunExportRequest: what to export and where — the plain values that the CLI
// and the GUI's export dialog fill (storage/export_source.h fills them from a
// run of the store) and exportRun() (run_export.h) carries out. Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lwb {

struct RunExportRequest
{
    std::string checkpoint; // a checkpoint file or a run's output directory
    std::string format = "peft";
    std::string destination; // the folder the export folder is created in
    std::string name;        // export folder name, sanitised; "" = "<run name>-<format>"
    bool force = false;      // replace an existing export folder
    std::string dtype = "float32";
    std::uint64_t maxShardBytes = 5'000'000'000ULL; // transformers' default "5GB"
    bool expertFolders = false;                     // bundle: each expert also as its own PEFT folder
    std::string baseModel;                          // base_model_name_or_path; "" = the config's preset name
    // For the model card (the engine does not read the run store).
    std::int64_t runId = 0;
    std::vector<std::pair<std::string, std::string>> metrics;
};

} // namespace lwb
