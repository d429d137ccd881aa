// See train_commands.h. Wiring only: options -> RunConfig -> Trainer with a
// progress printer and a run recorder.
#include "app/train_commands.h"

#include "app/command_line.h"
#include "app/interrupt_watch.h"
#include "app/rank_launcher.h"

#include "engine/adapters/variant_traits.h"
#include "engine/config/run_config.h"
#include "engine/core/error.h"
#include "engine/dist/communicator.h"
#include "engine/export/peft_import.h"
#include "engine/export/run_export.h"
#include "engine/train/progress_printer.h"
#include "engine/train/trainer.h"
#include "storage/database_location.h"
#include "storage/run_recorder.h"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cstdlib>
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

int validate(const ConfigArguments &args, std::ostream &out)
{
    const auto config = loadRunConfig(args.path, args.overrides);
    checkInitFromFolder(config.adapter, args.path);
    out << args.path << ": valid (" << config.adapter.variant << ", " << config.training.steps << " steps)\n";
    return 0;
}

// This process's place in a data-parallel job (torchrun, lorawb launch):
// null when it runs alone.
std::shared_ptr<Communicator> joinRanks(const RunConfig &config)
{
    const auto env = readDistEnvironment();
    if (!env.distributed())
        return nullptr;
    return std::make_shared<Communicator>(env, rankDevice(config.device, env),
                                          std::chrono::seconds(config.training.collectiveTimeoutS));
}

// Trains a config to its end, printing progress and recording into the run
// store; Ctrl-C stops after the current step with a checkpoint. In a
// data-parallel job only rank 0 prints, records and checkpoints.
RunOutcome trainConfig(const ConfigArguments &args, RunConfig config, const std::string &command, std::ostream &out)
{
    auto ranks = joinRanks(config);
    const bool root = !ranks || ranks->isRoot();
    Trainer trainer(std::move(config), ranks);
    ProgressPrinter printer(out, isatty(STDOUT_FILENO) != 0);
    if (root)
        trainer.addObserver(&printer);
    // Opened before training starts, so a bad database file stops the run
    // before any work is done.
    std::unique_ptr<storage::RunRecorder> recorder;
    std::string databasePath;
    if (!args.noDatabase && root) {
        databasePath = args.database.empty() ? storage::defaultDatabasePath() : args.database;
        recorder = std::make_unique<storage::RunRecorder>(databasePath);
        trainer.addObserver(recorder.get());
        out << "recording into " << databasePath << "\n";
    }

    // Ctrl-C stops after the step (agreed by every rank); a second one at once.
    const InterruptHandler interrupts([&trainer, count = 0](int) mutable {
        if (++count > 1)
            std::_Exit(130);
        trainer.requestStop();
    });
    const auto outcome = trainer.run();
    if (recorder) {
        recorder->flush();
        // A write refused at the last flush, after the last step could report it.
        if (const auto error = recorder->error())
            throw Error(databasePath, "the run could not be fully recorded: " + *error);
    }
    if (outcome == RunOutcome::Cancelled && root)
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
    if (variantTraitsOf(config.adapter.variant).attachesAdapters)
        throw Error(args.path, "adapter.variant is \"" + config.adapter.variant
                                   + "\"; pretraining trains the whole base (a variant without adapters: \"full\")");
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
    if (readDistEnvironment().rank != 0)
        return 0; // rank 0 writes the model

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

// launch: the train command's own arguments, run as N local ranks.
int launch(const ConfigArguments &args, int ranks, int masterPort, std::ostream &out, std::ostream &err)
{
    const auto config = loadRunConfig(args.path, args.overrides); // a bad config fails once, here
    LaunchRequest request;
    request.ranks = ranks;
    request.masterPort = masterPort;
    request.collectiveTimeout = std::chrono::seconds(config.training.collectiveTimeoutS);
    request.trainArguments = {"train", args.path};
    for (const auto &override : args.overrides)
        request.trainArguments.insert(request.trainArguments.end(), {"--set", override});
    if (args.noDatabase)
        request.trainArguments.push_back("--no-db");
    else if (!args.database.empty())
        request.trainArguments.insert(request.trainArguments.end(), {"--db", args.database});
    return launchRanks(request, out, err);
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

    struct LaunchArguments
    {
        ConfigArguments config;
        int ranks = 2;
        int masterPort = 0;
    };
    auto launchArgs = std::make_shared<LaunchArguments>();
    auto *launchCommand = addCommand(
        lorawb, "launch",
        "train a run config as N data-parallel ranks on this machine (as torchrun --nproc-per-node N would)");
    addConfigOptions(*launchCommand, launchArgs->config, true);
    launchCommand->add_option("--nproc", launchArgs->ranks, "how many ranks (processes) to start")
        ->required()
        ->check(wholeNumber(1, 1024));
    launchCommand->add_option("--master-port", launchArgs->masterPort, "the rendezvous port (default: a free one)")
        ->check(wholeNumber(1, 65535));
    launchCommand->callback([launchArgs, &io] {
        io.status = launch(launchArgs->config, launchArgs->ranks, launchArgs->masterPort, io.out, io.err);
    });

    struct PretrainArguments
    {
        ConfigArguments config;
        std::string out;
        bool force = false;
    };
    auto pretrainArgs = std::make_shared<PretrainArguments>();
    auto *pretrainCommand
        = addCommand(lorawb, "pretrain",
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
