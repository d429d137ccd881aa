// See dlp_command.h. Wiring only: arguments -> DlpStudy -> printed figures.
#include "app/dlp_command.h"

#include "app/command_line.h"

#include "engine/config/run_config.h"
#include "engine/core/error.h"
#include "engine/dlp/dlp_study.h"
#include "storage/database_location.h"
#include "storage/run_recorder.h"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cstdio>
#include <iomanip>
#include <memory>
#include <ostream>

namespace lwb::cli {

namespace {

struct DlpArguments
{
    std::string path;
    std::vector<std::string> overrides;
    std::vector<std::string> prompts;
    std::string database; // empty: the default run store
    bool noDatabase = false;
};

// scores[key] in percent, "-" when absent.
std::string percent(const std::map<std::string, double> &scores, const std::string &key)
{
    const auto found = scores.find(key);
    if (found == scores.end())
        return "-";
    char text[16];
    std::snprintf(text, sizeof text, "%.1f", 100.0 * found->second);
    return text;
}

void printResult(const DlpStudyResult &result, const TaskLoraLibrary &library, std::ostream &out)
{
    const auto n = result.tasks.size();
    out << "\nexact match (%) on the held-out examples\n";
    out << std::left << std::setw(10) << "task" << std::right << std::setw(10) << "own LoRA" << std::setw(10)
        << "fusion" << std::setw(10) << "oracle" << std::setw(12) << "multi-task"
        << "   selected for its prompts\n";
    for (std::size_t t = 0; t < n; ++t) {
        const auto &task = result.tasks[t];
        out << std::left << std::setw(10) << task << std::right << std::setw(10)
            << percent(library.entries()[t].metrics, "exact_match") << std::setw(10)
            << percent(result.fusion.exactMatch, task) << std::setw(10) << percent(result.oracle, task) << std::setw(12)
            << percent(result.multiTask, task) << "  ";
        for (std::size_t l = 0; l < n; ++l)
            out << ' ' << result.tasks[l] << ':' << result.fusion.selectionsByTask[t][l];
        out << '\n';
    }
    out << "multi-task LoRA: rank " << result.multiTaskRank << " (the library's total)\n";
    out << "plugin: " << result.plugin.parameters << " parameters (width " << result.pluginWidth
        << "), held-out accuracy " << std::fixed << std::setprecision(2) << 100.0 * result.plugin.heldOut.accuracy
        << " % on " << result.plugin.heldOut.examples << " prompts, trained in " << result.plugin.seconds << " s\n";
    out << "confusion (rows: true task, columns: predicted)\n";
    for (std::size_t t = 0; t < n; ++t) {
        out << "  " << std::left << std::setw(10) << result.tasks[t] << std::right;
        for (const auto count : result.plugin.heldOut.confusion[t])
            out << std::setw(6) << count;
        out << '\n';
    }
    out << "selections per LoRA over " << result.fusion.decisions << " routing decisions (mean "
        << result.fusion.meanSelected << " LoRAs fused):";
    for (std::size_t l = 0; l < n; ++l)
        out << ' ' << result.tasks[l] << ':' << result.fusion.selectionCounts[l];
    out << "\noutput: " << result.outputDir << '\n';
}

int runDlpStudy(const DlpArguments &args, std::ostream &out)
{
    DlpStudy study(loadRunConfig(args.path, args.overrides));
    const bool tty = isatty(STDOUT_FILENO) != 0;
    std::string lastStage;
    study.setObserver([&](const DlpStudyProgress &progress) {
        const auto stage = progress.stage + (progress.detail.empty() ? "" : " " + progress.detail);
        const bool last = progress.done == progress.total;
        // A live line on a terminal; otherwise every 100th step and the ends.
        if (!tty && !last && progress.done % 100 != 0 && stage == lastStage)
            return;
        out << (tty ? "\r" : "") << stage << ": " << progress.done << "/" << progress.total;
        if (progress.stage != "evaluation")
            out << "  loss " << std::fixed << std::setprecision(4) << progress.loss;
        out << (tty && !last ? "   " : "\n") << std::flush;
        lastStage = stage;
    });
    // The study is one run of the store; each training it runs is a run whose
    // parent is the study's. Opened before any work, so a bad file stops here.
    std::unique_ptr<storage::RunRecorder> recorder;
    std::string database;
    if (!args.noDatabase) {
        database = args.database.empty() ? storage::defaultDatabasePath() : args.database;
        recorder = std::make_unique<storage::RunRecorder>(database);
        study.addObserver(recorder.get());
        study.setStageObservers([&](const std::string &, const std::string &) {
            storage::RecorderOptions options;
            options.parentRunId = recorder->runId();
            return std::vector<std::shared_ptr<TrainObserver>>{
                std::make_shared<storage::RunRecorder>(database, options)};
        });
        out << "recording into " << database << "\n";
    }
    const auto result = study.run();
    if (recorder)
        out << "recorded as run " << recorder->runId() << '\n';
    printResult(result, study.library(), out);
    for (const auto &prompt : args.prompts) {
        const auto generation = study.generate(prompt);
        out << "\nprompt: " << prompt << "\n";
        for (const auto &segment : generation.segments) {
            out << "  from position " << segment.start << ":";
            for (std::size_t i = 0; i < segment.selected.size(); ++i)
                out << ' ' << result.tasks[static_cast<std::size_t>(segment.selected[i])] << ' ' << std::setprecision(3)
                    << segment.weights[i];
            out << '\n';
        }
        out << "  answer: " << generation.text << (generation.finished ? "" : " (no EOS)") << '\n';
    }
    return 0;
}

} // namespace

void addDlpCommand(CLI::App &lorawb, CommandIo &io)
{
    auto args = std::make_shared<DlpArguments>();
    auto *dlp = addCommand(
        lorawb, "dlp",
        "a DLP-LoRA study: train the task LoRAs, the multi-task baseline and the plugin, evaluate, print the "
        "table, then answer each --prompt with the selected LoRAs (recorded like train)");
    dlp->add_option("CONFIG.json", args->path,
                    "a config with adapter.variant \"dlp\" (resources/configs/dlp_default.json)")
        ->required();
    dlp->add_option("--set", args->overrides, "override one value of the config: key.path=value (repeatable)")
        ->allow_extra_args(false)
        ->type_name("KEY=VALUE");
    dlp->add_option("--prompt", args->prompts, "a prompt to answer after the study (repeatable)")
        ->allow_extra_args(false)
        ->type_name("TEXT");
    auto *database = dlp->add_option("--db", args->database, "the run store to record into")->type_name("PATH");
    dlp->add_flag("--no-db", args->noDatabase, "run without recording")->excludes(database);
    dlp->callback([args, &io] { io.status = runDlpStudy(*args, io.out); });
}

} // namespace lwb::cli
