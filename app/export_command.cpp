// `lorawb export` (see the header): find the run and its checkpoint in the
// run store, fill a RunExportRequest (metrics for the model card included),
// call exportRun, record the files.
#include "app/export_command.h"

#include "engine/core/error.h"
#include "engine/export/run_export.h"
#include "storage/database_location.h"
#include "storage/export_artifacts.h"
#include "storage/export_source.h"
#include "storage/run_store.h"

#include <ostream>

namespace lwb::cli {

namespace {

constexpr const char *kUsage =
    "usage: lorawb export RUN_ID --format peft|merged|base|bundle [--out DIR] [--name NAME] [--force]\n"
    "                    [--dtype float32|float16|bfloat16] [--max-shard-bytes N] [--expert-folders] [--db PATH]\n"
    "\n"
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
    "(lorawb runs export writes a run's metrics as CSV/JSON.)\n";

struct UsageError
{
    std::string message;
};

std::int64_t parseCount(const std::string &option, const std::string &text)
{
    std::size_t used = 0;
    long long value = 0;
    try {
        value = std::stoll(text, &used);
    } catch (const std::exception &) {
        used = 0;
    }
    if (used != text.size() || value < 1)
        throw UsageError{option + " expects a positive whole number, got \"" + text + "\""};
    return value;
}

int exportCommand(const std::vector<std::string> &args, std::ostream &out)
{
    RunExportRequest request;
    request.format.clear();
    std::string runText, database, destination;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto &word = args[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= args.size())
                throw UsageError{word + " needs a value"};
            return args[++i];
        };
        if (word == "--format")
            request.format = value();
        else if (word == "--out")
            destination = value();
        else if (word == "--name")
            request.name = value();
        else if (word == "--force")
            request.force = true;
        else if (word == "--dtype")
            request.dtype = value();
        else if (word == "--max-shard-bytes")
            request.maxShardBytes = static_cast<std::uint64_t>(parseCount(word, value()));
        else if (word == "--expert-folders")
            request.expertFolders = true;
        else if (word == "--db")
            database = value();
        else if (!word.empty() && word[0] == '-')
            throw UsageError{"unknown option " + word};
        else if (runText.empty())
            runText = word;
        else
            throw UsageError{"unexpected argument \"" + word + "\" (one RUN_ID)"};
    }
    if (runText.empty())
        throw UsageError{"missing RUN_ID"};
    if (request.format.empty())
        throw UsageError{"missing --format peft|merged|base|bundle"};
    const auto runId = parseCount("RUN_ID", runText);

    storage::RunStore store(database.empty() ? storage::defaultDatabasePath() : database);
    const auto run = store.run(runId);
    auto filled = storage::exportRequestForRun(store, run.id, request.format);
    filled.force = request.force;
    filled.dtype = request.dtype;
    filled.maxShardBytes = request.maxShardBytes;
    filled.expertFolders = request.expertFolders;
    if (!request.name.empty())
        filled.name = request.name;
    if (!destination.empty())
        filled.destination = destination;
    request = std::move(filled);

    const auto result = exportRun(request);
    const auto recorded = storage::recordExportArtifacts(store, run.id, result);
    out << "exported run " << run.id << " (" << run.name << ") as " << result.format << " to " << result.folder << "\n";
    for (const auto &artifact : recorded)
        out << "  " << artifact.sha256 << "  " << artifact.sizeBytes << "  " << artifact.path << "\n";
    return 0;
}

} // namespace

int runExportCommand(const std::vector<std::string> &args, std::ostream &out, std::ostream &err)
{
    if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
        out << kUsage;
        return 0;
    }
    try {
        return exportCommand(args, out);
    } catch (const UsageError &usage) {
        err << "lorawb export: " << usage.message << "\n" << kUsage;
        return 2;
    } catch (const Error &error) {
        err << "lorawb export: " << error.what() << "\n";
        return 1;
    }
}

} // namespace lwb::cli
