// See dlp_command.h. Wiring only: arguments -> DlpStudy -> printed figures.
#include "app/dlp_command.h"

#include "engine/config/run_config.h"
#include "engine/core/error.h"
#include "engine/dlp/dlp_study.h"
#include "storage/database_location.h"
#include "storage/run_recorder.h"

#include <unistd.h>

#include <cstdio>
#include <iomanip>
#include <ostream>

namespace lwb::cli {

namespace {

struct DlpArguments
{
    std::string path;
    std::vector<std::string> overrides;
    std::vector<std::string> prompts;
    std::string database; // empty: the default run store
    bool record = true;
};

DlpArguments parseArguments(const std::vector<std::string> &words)
{
    DlpArguments args;
    for (std::size_t i = 0; i < words.size(); ++i) {
        const auto &word = words[i];
        if (word == "--set" || word == "--prompt") {
            if (i + 1 == words.size())
                throw Error(word, word == "--set" ? "expects key.path=value" : "expects a prompt text");
            (word == "--set" ? args.overrides : args.prompts).push_back(words[++i]);
        } else if (word == "--db") {
            if (i + 1 == words.size())
                throw Error(word, "expects a database path");
            args.database = words[++i];
        } else if (word == "--no-db") {
            args.record = false;
        } else if (!word.empty() && word[0] == '-') {
            throw Error(word, "unknown option (lorawb dlp CONFIG.json [--set k=v ...] [--prompt TEXT ...] "
                              "[--db PATH | --no-db])");
        } else if (args.path.empty()) {
            args.path = word;
        } else {
            throw Error(word, "unexpected argument (only one config file)");
        }
    }
    if (args.path.empty())
        throw Error("dlp", "missing CONFIG.json (e.g. resources/configs/dlp_default.json)");
    return args;
}

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
        << "fusion" << std::setw(10) << "oracle" << std::setw(12) << "multi-task" << "   selected for its prompts\n";
    for (std::size_t t = 0; t < n; ++t) {
        const auto &task = result.tasks[t];
        out << std::left << std::setw(10) << task << std::right << std::setw(10)
            << percent(library.entries()[t].metrics, "exact_match")
            << std::setw(10) << percent(result.fusion.exactMatch, task) << std::setw(10)
            << percent(result.oracle, task) << std::setw(12) << percent(result.multiTask, task) << "  ";
        for (std::size_t l = 0; l < n; ++l)
            out << ' ' << result.tasks[l] << ':' << result.fusion.selectionsByTask[t][l];
        out << '\n';
    }
    out << "multi-task LoRA: rank " << result.multiTaskRank << " (the library's total)\n";
    out << "plugin: " << result.plugin.parameters << " parameters (width " << result.pluginWidth << "), held-out accuracy "
        << std::fixed << std::setprecision(2) << 100.0 * result.plugin.heldOut.accuracy << " % on "
        << result.plugin.heldOut.examples << " prompts, trained in " << result.plugin.seconds << " s\n";
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

} // namespace

int runDlpCommand(const std::vector<std::string> &words, std::ostream &out)
{
    const auto args = parseArguments(words);
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
    if (args.record) {
        database = args.database.empty() ? storage::defaultDatabasePath() : args.database;
        recorder = std::make_unique<storage::RunRecorder>(database);
        study.addObserver(recorder.get());
        study.setStageObservers([&](const std::string &, const std::string &) {
            storage::RecorderOptions options;
            options.parentRunId = recorder->runId();
            return std::vector<std::shared_ptr<TrainObserver>>{std::make_shared<storage::RunRecorder>(database, options)};
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

} // namespace lwb::cli
