// See study_command.h. Wiring only: spec -> queued runs -> trainer + recorder
// -> summary.
#include "app/study_command.h"

#include "app/command_line.h"
#include "app/interrupt_watch.h"

#include "engine/config/study_spec.h"
#include "engine/core/error.h"
#include "engine/train/progress_printer.h"
#include "engine/train/trainer.h"
#include "storage/database_location.h"
#include "storage/run_recorder.h"
#include "storage/run_store.h"
#include "storage/study_report.h"
#include "storage/study_store.h"
#include "storage/study_summary.h"

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>

namespace lwb::cli {
namespace {

struct StudyArguments
{
    std::string path;
    std::string database;
    std::string reportDirectory;
    bool dryRun = false;
    bool summaryOnly = false;
    double confidence = 0.95;
};

Trainer *gStudyTrainer = nullptr;
std::atomic<int> gStudyInterrupted{0}; // set on the interrupt watch thread

void onStudyInterrupt()
{
    if (gStudyInterrupted)
        std::_Exit(130); // a second Ctrl-C does not wait for the step
    gStudyInterrupted = 1;
    if (gStudyTrainer)
        gStudyTrainer->requestStop();
}

std::string figure(double value)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.4g", value);
    return text;
}

std::string cellName(const storage::StudySummary &summary, const storage::StudyCellSummary &cell)
{
    return summary.cellLabels.empty() ? storage::studyCellLabel(cell.cell) : summary.cellLabels[cell.cellIndex];
}

std::string parameterCount(const storage::StudyCellSummary &cell)
{
    if (cell.seeds.empty())
        return "";
    return cell.trainableParametersMin == cell.trainableParametersMax
               ? std::to_string(cell.trainableParametersMin)
               : std::to_string(cell.trainableParametersMin) + ".." + std::to_string(cell.trainableParametersMax);
}

void printMeasure(const storage::StudyMeasureSummary &measure, std::ostream &out)
{
    const auto &interval = measure.interval;
    out << "n=" << interval.count;
    if (interval.count >= 2)
        out << "  " << figure(interval.mean) << " [" << figure(interval.low) << ", " << figure(interval.high) << "]";
    else if (interval.count == 1)
        out << "  " << figure(interval.mean);
    if (measure.missing)
        out << "  (" << measure.missing << " without a value)";
    if (measure.vsBaseline)
        out << "  vs baseline " << (measure.vsBaseline->meanDifference >= 0 ? "+" : "")
            << figure(measure.vsBaseline->meanDifference) << " [" << figure(measure.vsBaseline->low) << ", "
            << figure(measure.vsBaseline->high) << "] p=" << figure(measure.vsBaseline->pValue);
}

void printSummary(const storage::StudySummary &summary, std::ostream &out)
{
    const int percent = static_cast<int>(summary.confidence * 100 + 0.5);
    out << "study \"" << summary.study.name << "\" (id " << summary.study.id << "): " << summary.metric << ", "
        << (summary.higherIsBetter ? "higher" : "lower") << " is better; mean [" << percent << " % CI] over seeds\n";
    for (const auto &cell : summary.cells) {
        const auto &interval = cell.interval;
        out << "  c" << cell.cellIndex << "  " << cellName(summary, cell)
            << (static_cast<int>(cell.cellIndex) == summary.baselineCell ? " (baseline)" : "");
        if (!cell.seeds.empty())
            out << "  [" << parameterCount(cell) << " trainable]";
        out << "\n      n=" << interval.count;
        if (interval.count >= 2)
            out << "  " << figure(interval.mean) << " [" << figure(interval.low) << ", " << figure(interval.high) << "]"
                << "  min " << figure(interval.minimum) << " max " << figure(interval.maximum);
        else if (interval.count == 1)
            out << "  " << figure(interval.mean) << " (one seed: no interval)";
        if (cell.vsBaseline)
            out << "  vs baseline " << (cell.vsBaseline->meanDifference >= 0 ? "+" : "")
                << figure(cell.vsBaseline->meanDifference) << " [" << figure(cell.vsBaseline->low) << ", "
                << figure(cell.vsBaseline->high) << "] p=" << figure(cell.vsBaseline->pValue) << " ("
                << cell.vsBaseline->pairs << " paired seeds)";
        if (cell.pendingRuns || cell.failedRuns)
            out << "  pending " << cell.pendingRuns << ", failed " << cell.failedRuns;
        out << "\n";
        for (std::size_t m = 0; m < summary.measures.size(); ++m) {
            out << "      " << summary.measures[m].name() << ": ";
            printMeasure(cell.measures[m], out);
            out << "\n";
        }
    }
}

std::vector<std::string> cellKeysOf(const StudySpec &spec)
{
    std::vector<std::string> keys;
    for (const auto &cell : spec.cells)
        keys.push_back(cell.settingsKey());
    return keys;
}

// Trains one (cell, seed) into a queued run already linked to the study.
// Returns false when the study was interrupted.
bool trainStudyRun(const storage::StudyRunPlan &plan, std::int64_t runId, const StudyArguments &args,
                   const std::string &database, storage::RunStore &store, std::ostream &out, std::ostream &err)
{
    std::unique_ptr<Trainer> trainer;
    try {
        trainer = std::make_unique<Trainer>(parseRunConfig(nlohmann::json::parse(plan.configJson), args.path));
    } catch (const std::exception &error) {
        store.finishRun(runId, storage::RunStatus::Failed, error.what());
        err << "lorawb study: run " << runId << " failed before training: " << error.what() << "\n";
        return true;
    }
    ProgressPrinter printer(out, isatty(STDOUT_FILENO) != 0);
    storage::RecorderOptions options;
    options.runId = runId;
    storage::RunRecorder recorder(database, options);
    trainer->addObserver(&printer);
    trainer->addObserver(&recorder);
    gStudyTrainer = trainer.get();
    RunOutcome outcome = RunOutcome::Failed;
    try {
        outcome = trainer->run();
    } catch (const std::exception &error) {
        // Recorded as failed by the recorder; the study goes on with the next
        // run, and a later `lorawb study` trains this one again.
        err << "lorawb study: run " << runId << " failed: " << error.what() << "\n";
    }
    gStudyTrainer = nullptr;
    return outcome != RunOutcome::Cancelled && !gStudyInterrupted;
}

} // namespace

namespace {

int runStudy(const StudyArguments &args, std::ostream &out, std::ostream &err)
{
    const StudySpec spec = loadStudySpec(args.path);
    // Checked before anything trains: a typo in the report fails now, not after the study.
    const auto report = storage::parseStudyReportOptions(spec.report, args.path, spec.cells.size());
    const auto runs = spec.runs();
    out << args.path << ": " << spec.cells.size() << " cells x " << spec.seeds.size() << " seeds = " << runs.size()
        << " runs, metric " << spec.metric << "\n";
    if (args.dryRun) {
        for (std::size_t i = 0; i < spec.cells.size(); ++i)
            out << "  c" << i << "  " << (report.cellLabels.empty() ? spec.cells[i].label() : report.cellLabels[i])
                << (static_cast<int>(i) == spec.baselineCell ? " (baseline)" : "") << "\n";
        for (const auto &measure : report.measures)
            out << "  reports " << measure.name() << "\n";
        return 0;
    }

    const auto database = args.database.empty() ? storage::defaultDatabasePath() : args.database;
    storage::RunStore store(database);
    const auto study = storage::openStudy(store, spec.name, spec.document.dump(), spec.metric);
    out << "study " << study.id << " in " << database << "\n";

    bool interrupted = false;
    if (!args.summaryOnly) {
        const InterruptHandler interrupts([](int) { onStudyInterrupt(); });
        const auto cellKeys = cellKeysOf(spec);
        std::vector<storage::StudyRunPlan> plans;
        for (const auto &run : runs)
            plans.push_back({run.cellIndex, run.seed, cellKeys[run.cellIndex], run.config.dump()});
        // Finished earlier: a resumed study does not train them again.
        for (const auto &plan : storage::unfinishedStudyRuns(store, study.id, plans)) {
            const auto runId = storage::createStudyRun(store, study, plan);
            out << "c" << plan.cellIndex << " seed " << plan.seed << " (" << spec.cells[plan.cellIndex].label()
                << "): run " << runId << "\n";
            if (!trainStudyRun(plan, runId, args, database, store, out, err)) {
                interrupted = true;
                break;
            }
        }
    }

    const auto summary
        = storage::summarizeStudy(store, study, cellKeysOf(spec), spec.baselineCell, args.confidence, report);
    printSummary(summary, out);
    if (!args.reportDirectory.empty()) {
        std::filesystem::create_directories(args.reportDirectory);
        const auto csv = (std::filesystem::path(args.reportDirectory) / "study.csv").string();
        const auto html = (std::filesystem::path(args.reportDirectory) / "study.html").string();
        storage::writeStudyCsv(summary, csv);
        storage::writeStudyHtml(summary, html);
        out << "wrote " << csv << " and " << html << "\n";
    }
    if (interrupted) {
        out << "interrupted; run the same command again to train the rest (finished runs are kept)\n";
        return 130;
    }
    return 0;
}

} // namespace

void addStudyCommand(CLI::App &lorawb, CommandIo &io)
{
    auto args = std::make_shared<StudyArguments>();
    auto *study = addCommand(
        lorawb, "study",
        "Trains a study (a base config, a grid and/or random search over config paths, seeds; the format:\n"
        "engine/config/study_spec.h) into the run store, each (cell, seed) one run linked to the study; run\n"
        "again, it trains only the pairs without a finished run. Prints each cell's mean with its Student-t\n"
        "interval and the paired t-test against the baseline cell.");
    study->add_option("STUDY.json", args->path, "the study file")->required();
    study->add_option("--db", args->database, "the run store (default: $LWB_DB, else the user's store)")
        ->type_name("PATH");
    study->add_option("--report", args->reportDirectory, "write DIR/study.csv and DIR/study.html")->type_name("DIR");
    study->add_option("--confidence", args->confidence, "level of the intervals")
        ->check(CLI::Range(0.5, 0.999))
        ->capture_default_str();
    study->add_flag("--dry-run", args->dryRun, "list the cells and stop");
    study->add_flag("--summary-only", args->summaryOnly, "print the table without training");
    study->callback([args, &io] { io.status = runStudy(*args, io.out, io.err); });
}

} // namespace lwb::cli
