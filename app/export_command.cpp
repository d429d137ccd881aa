// `lorawb export` (see the header): find the run and its checkpoint in the
// run store, fill a RunExportRequest (metrics for the model card included),
// call exportRun, record the files.
#include "app/export_command.h"

#include "app/command_line.h"

#include "engine/core/error.h"
#include "engine/export/run_export.h"
#include "storage/database_location.h"
#include "storage/export_artifacts.h"
#include "storage/export_source.h"
#include "storage/run_store.h"

#include <CLI/CLI.hpp>

#include <limits>
#include <memory>
#include <ostream>

namespace lwb::cli {

namespace {

// The options of one export, as parsed.
struct ExportArguments
{
    std::int64_t runId = 0;
    std::string database, destination;
    RunExportRequest request;
};

int exportCommand(const ExportArguments &args, std::ostream &out)
{
    storage::RunStore store(args.database.empty() ? storage::defaultDatabasePath() : args.database);
    const auto run = store.run(args.runId);
    // The run's checkpoint, name and model-card figures from the store; the
    // choices of this command line on top.
    RunExportRequest request = storage::exportRequestForRun(store, run.id, args.request.format);
    request.force = args.request.force;
    request.dtype = args.request.dtype;
    request.maxShardBytes = args.request.maxShardBytes;
    request.expertFolders = args.request.expertFolders;
    if (!args.request.name.empty())
        request.name = args.request.name;
    if (!args.destination.empty())
        request.destination = args.destination;

    const auto result = exportRun(request);
    const auto recorded = storage::recordExportArtifacts(store, run.id, result);
    out << "exported run " << run.id << " (" << run.name << ") as " << result.format << " to " << result.folder << "\n";
    for (const auto &artifact : recorded)
        out << "  " << artifact.sha256 << "  " << artifact.sizeBytes << "  " << artifact.path << "\n";
    return 0;
}

} // namespace

void addExportCommand(CLI::App &lorawb, CommandIo &io)
{
    constexpr std::int64_t kLargest = std::numeric_limits<std::int64_t>::max();
    auto args = std::make_shared<ExportArguments>();
    args->request.format.clear();
    auto *command = addCommand(lorawb, "export", "a run's adapter as files other tools load (PEFT, transformers)");
    command->footer(
        "  peft     plain LoRA as a PEFT folder (adapter_config.json, adapter_model.safetensors)\n"
        "  merged   base model + adapter merged, a Hugging Face checkpoint folder (config.json,\n"
        "           model.safetensors; sharded past --max-shard-bytes, default 5000000000)\n"
        "  base     the run's base model alone, a Hugging Face checkpoint folder (what peft loads onto)\n"
        "  bundle   SiRA: experts + router + sira_bundle.json (--expert-folders: each expert as a PEFT folder);\n"
        "           DLP-LoRA study: tasks/<task> PEFT folders + plugin.safetensors + dlp_bundle.json\n"
        "\n"
        "The export goes to DIR/NAME: DIR defaults to $XDG_DATA_HOME/lora-workbench/exports, NAME to\n"
        "<run name>-run<ID>-<format> (made safe: no '/', no leading '.'). An existing folder is replaced\n"
        "only with --force. Every file's SHA-256 is recorded as an artifact of the run (lorawb runs show ID).\n"
        "(lorawb runs export writes a run's metrics as CSV/JSON.)");
    command->add_option("RUN_ID", args->runId, "the run (lorawb runs list)")
        ->required()
        ->check(wholeNumber(1, kLargest));
    command->add_option("--format", args->request.format, "what to write")
        ->required()
        ->type_name("peft|merged|base|bundle");
    command->add_option("--out", args->destination, "the folder the export goes into")->type_name("DIR");
    command->add_option("--name", args->request.name, "the export's folder name")->type_name("NAME");
    command->add_flag("--force", args->request.force, "replace an existing export");
    command->add_option("--dtype", args->request.dtype, "the weights' dtype")
        ->type_name("float32|float16|bfloat16")
        ->capture_default_str();
    command->add_option("--max-shard-bytes", args->request.maxShardBytes, "merged: the largest shard")
        ->check(wholeNumber(1, kLargest))
        ->capture_default_str();
    command->add_flag("--expert-folders", args->request.expertFolders, "bundle: each SiRA expert as a PEFT folder too");
    command->add_option("--db", args->database, "the run store")->type_name("PATH");
    command->callback([args, &io] { io.status = exportCommand(*args, io.out); });
}

} // namespace lwb::cli
