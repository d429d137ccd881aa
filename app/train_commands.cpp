// See train_commands.h. Wiring only: options -> RunConfig -> Trainer with a
// progress printer and a run recorder.
#include "app/train_commands.h"

#include "app/command_line.h"

#include "engine/config/run_config.h"
#include "engine/core/error.h"
#include "engine/export/peft_import.h"
#include "engine/export/run_export.h"
#include "engine/train/progress_printer.h"
#include "engine/train/trainer.h"
#include "storage/database_location.h"
#include "storage/run_recorder.h"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace lwb::cli {

namespace {

// What validate, train and pretrain share: the config and its overrides,
// and (train, pretrain) where the run is recorded.
struct ConfigArguments
{
    std::string path;
    std::vector<std::string> overrides;
    std::string database; // "" = the default location
    bool noDatabase = false;
};

void addConfigOptions(CLI::App &command, ConfigArguments &args, bool recorded)
{
    command.add_option("CONFIG.json", args.path, "the run config (resources/configs/*.json)")->required();
    // One key.path=value per --set (a value may itself hold spaces or start with '[').
    command.add_option("--set", args.overrides, "override one value of the config: key.path=value (repeatable)")
        ->allow_extra_args(false)
        ->type_name("KEY=VALUE");
    if (!recorded)
        return;
    auto *database = command.add_option("--db", args.database, "the run store to record into")->type_name("PATH");
    command.add_flag("--no-db", args.noDatabase, "train without recording")->excludes(database);
}

lwb::Trainer *gRunningTrainer = nullptr;

void onInterrupt(int)
{
    static volatile std::sig_atomic_t interrupts = 0;
    if (++interrupts > 1)
        std::_Exit(130); // a second Ctrl-C does not wait for the step
    if (gRunningTrainer)
        gRunningTrainer->requestStop(); // an atomic store: safe in a signal handler
}

int validate(const ConfigArguments &args, std::ostream &out)
{
    const auto config = loadRunConfig(args.path, args.overrides);
    checkInitFromFolder(config.adapter, args.path);
    out << args.path << ": valid (" << config.adapter.variant << ", " << config.training.steps << " steps)\n";
    return 0;
}

// Trains a config to its end, printing progress and recording into the run
// store; Ctrl-C stops after the current step with a checkpoint.
RunOutcome trainConfig(const ConfigArguments &args, RunConfig config, const std::string &command, std::ostream &out)
{
    Trainer trainer(std::move(config));
    ProgressPrinter printer(out, isatty(STDOUT_FILENO) != 0);
    trainer.addObserver(&printer);
    // Opened before training starts, so a bad database file stops the run
    // before any work is done.
    std::unique_ptr<storage::RunRecorder> recorder;
    if (!args.noDatabase) {
        const auto database = args.database.empty() ? storage::defaultDatabasePath() : args.database;
        recorder = std::make_unique<storage::RunRecorder>(database);
        trainer.addObserver(recorder.get());
        out << "recording into " << database << "\n";
    }

    gRunningTrainer = &trainer;
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    const auto outcome = trainer.run();
    gRunningTrainer = nullptr;
    if (outcome == RunOutcome::Cancelled)
        out << "resume with: lorawb " << command << " " << args.path
            << " --set training.resume_from=" << trainer.config().training.outputDir << "\n";
    return outcome;
}

int train(const ConfigArguments &args, std::ostream &out)
{
    const auto outcome = trainConfig(args, loadRunConfig(args.path, args.overrides), "train", out);
    return outcome == RunOutcome::Finished ? 0 : 130;
}

// pretrain: a "full" run (every base weight trains), then its final weights
// written as a Hugging Face folder that model.path and --model accept.
int pretrain(const ConfigArguments &args, const std::string &out, bool force, std::ostream &output)
{
    auto config = loadRunConfig(args.path, args.overrides);
    if (config.adapter.variant != kFullVariant)
        throw Error(args.path, "adapter.variant is \"" + config.adapter.variant
                                   + "\"; pretraining trains the whole base (\"full\")");
    // Refuse a taken destination now, not after the training.
    const std::filesystem::path destination(out);
    if (std::filesystem::exists(destination) && !force)
        throw Error(out, "exists; pass --force to replace it");
    if (config.training.outputDir.empty())
        config.training.outputDir = newRunFolder(config.name);
    const auto outputDir = config.training.outputDir;
    const auto outcome = trainConfig(args, std::move(config), "pretrain --out " + out, output);
    if (outcome != RunOutcome::Finished)
        return 130;

    RunExportRequest request;
    request.checkpoint = outputDir;
    request.format = "merged";
    request.destination = destination.has_parent_path() ? destination.parent_path().string() : ".";
    request.name = destination.filename().string();
    request.force = force;
    const auto result = exportRun(request);
    output << "wrote the pretrained model to " << result.folder << "\n";
    return 0;
}

} // namespace

void addTrainCommands(CLI::App &lorawb, CommandIo &io)
{
    auto validateArgs = std::make_shared<ConfigArguments>();
    auto *validateCommand = addCommand(lorawb, "validate", "check a run config; every problem is reported at once");
    addConfigOptions(*validateCommand, *validateArgs, false);
    validateCommand->callback([validateArgs, &io] { io.status = validate(*validateArgs, io.out); });

    auto trainArgs = std::make_shared<ConfigArguments>();
    auto *trainCommand = addCommand(lorawb, "train", "train a run config, recorded in the run store");
    addConfigOptions(*trainCommand, *trainArgs, true);
    trainCommand->callback([trainArgs, &io] { io.status = train(*trainArgs, io.out); });

    struct PretrainArguments
    {
        ConfigArguments config;
        std::string out;
        bool force = false;
    };
    auto pretrainArgs = std::make_shared<PretrainArguments>();
    auto *pretrainCommand = addCommand(lorawb, "pretrain",
        "train a whole base model (adapter.variant \"full\") and write its final weights to DIR as a "
        "Hugging Face folder");
    addConfigOptions(*pretrainCommand, pretrainArgs->config, true);
    pretrainCommand->add_option("--out", pretrainArgs->out, "the folder the pretrained model is written to")
        ->required()
        ->type_name("DIR");
    pretrainCommand->add_flag("--force", pretrainArgs->force, "replace an existing DIR");
    pretrainCommand->callback([pretrainArgs, &io] {
        io.status = pretrain(pretrainArgs->config, pretrainArgs->out, pretrainArgs->force, io.out);
    });
}

} // namespace lwb::cli
