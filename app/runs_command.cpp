// `lorawb runs` (see the header): argument parsing and text output over the
// storage layer. The numbers come from RunStore, MetricReader, compareRuns
// and the exporters, so the CLI and the GUI agree.
#include "app/runs_command.h"

#include "app/command_line.h"

#include "storage/database_location.h"
#include "storage/metric_reader.h"
#include "storage/metric_samples.h"
#include "storage/run_comparison.h"
#include "storage/run_export.h"
#include "storage/run_store.h"

#include "engine/core/error.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

namespace lwb::cli {

namespace {

using storage::RunRecord;
using storage::RunStore;

// One `runs` subcommand's words as CLI11 parsed them: its positionals (run
// ids, tags, note words) and the options given (name without "--" -> value;
// "" for a flag).
struct Arguments
{
    std::vector<std::string> positional_;
    std::map<std::string, std::string> options_;

    const std::vector<std::string> &positional() const { return positional_; }
    bool has(const std::string &name) const { return options_.count(name) > 0; }
    std::string value(const std::string &name) const
    {
        const auto found = options_.find(name);
        return found == options_.end() ? std::string() : found->second;
    }
};

std::int64_t parseRunId(const std::string &word)
{
    long long id = 0;
    const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), id);
    if (error != std::errc() || end != word.data() + word.size() || id <= 0)
        throw UsageError{"'" + word + "' is not a run id (a positive number)"};
    return id;
}

std::string formatTime(double unixSeconds)
{
    const std::time_t seconds = static_cast<std::time_t>(unixSeconds);
    std::tm local{};
    localtime_r(&seconds, &local);
    char text[32];
    std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S", &local);
    return text;
}

std::string formatDuration(double seconds)
{
    const long long total = std::llround(std::max(0.0, seconds));
    char text[32];
    std::snprintf(text, sizeof(text), "%lld:%02lld:%02lld", total / 3600, (total / 60) % 60, total % 60);
    return text;
}

std::string formatNumber(double value)
{
    if (std::isnan(value))
        return "nan";
    char text[32];
    if (value != 0.0 && (std::fabs(value) >= 1e6 || std::fabs(value) < 1e-3))
        std::snprintf(text, sizeof(text), "%.4g", value);
    else
        std::snprintf(text, sizeof(text), "%.5g", value);
    return text;
}

std::string joined(const std::vector<std::string> &words, const std::string &separator)
{
    std::string text;
    for (std::size_t i = 0; i < words.size(); ++i)
        text += (i ? separator : std::string()) + words[i];
    return text;
}

// Left-aligned columns, two spaces apart.
void printTable(std::ostream &out, const std::vector<std::vector<std::string>> &rows)
{
    std::vector<std::size_t> widths;
    for (const auto &row : rows) {
        widths.resize(std::max(widths.size(), row.size()), 0);
        for (std::size_t i = 0; i < row.size(); ++i)
            widths[i] = std::max(widths[i], row[i].size());
    }
    for (const auto &row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size())
                line += std::string(widths[i] - row[i].size() + 2, ' ');
        }
        out << line << '\n';
    }
}

// "finished" or "failed: out of memory".
std::string statusText(const RunRecord &run)
{
    std::string text = storage::toString(run.status);
    if (!run.statusMessage.empty())
        text += ": " + run.statusMessage;
    return text;
}

int listRuns(RunStore &store, const Arguments &args, std::ostream &out)
{
    if (!args.positional().empty())
        throw UsageError{"list takes no positional arguments"};
    storage::RunFilter filter;
    std::stringstream statuses(args.value("status"));
    for (std::string word; std::getline(statuses, word, ',');) {
        const auto status = storage::parseRunStatus(word);
        if (!status)
            throw UsageError{"unknown status '" + word
                             + "' (queued, running, finished, failed, cancelled, "
                               "interrupted)"};
        filter.statuses.push_back(*status);
    }
    filter.variant = args.value("variant");
    filter.tag = args.value("tag");
    filter.text = args.value("search");
    if (args.has("limit"))
        filter.limit = parseRunId(args.value("limit"));

    const std::vector<RunRecord> runs = store.listRuns(filter);
    if (runs.empty()) {
        const bool filtered
            = !filter.statuses.empty() || !filter.variant.empty() || !filter.tag.empty() || !filter.text.empty();
        out << (filtered ? "No runs match in " : "No runs yet in ") << store.path() << ".\n";
        return 0;
    }
    storage::MetricReader reader(store);
    std::vector<std::vector<std::string>> rows{{"ID", "STATUS", "VARIANT", "STEP", "LOSS", "CREATED", "NAME", "TAGS"}};
    for (const RunRecord &run : runs) {
        const auto loss = reader.summary(run.id, storage::series::kTrainLoss);
        std::string step = loss ? std::to_string(loss->latestStep) : "-";
        if (run.totalSteps > 0)
            step += "/" + std::to_string(run.totalSteps);
        rows.push_back({std::to_string(run.id), storage::toString(run.status), run.variant, step,
                        loss ? formatNumber(loss->latestValue) : "-", formatTime(run.createdAt), run.name,
                        joined(run.tags, ",")});
    }
    printTable(out, rows);
    return 0;
}

int showRun(RunStore &store, const Arguments &args, std::ostream &out)
{
    if (args.positional().size() != 1)
        throw UsageError{"show takes one run id"};
    const RunRecord run = store.run(parseRunId(args.positional()[0]));
    storage::MetricReader reader(store);

    out << "Run " << run.id << ": " << run.name << '\n';
    std::vector<std::vector<std::string>> fields{
        {"  status", statusText(run)},
        {"  variant", run.variant.empty() ? "-" : run.variant},
        {"  device", run.device.empty() ? "-" : run.device},
        {"  seed", std::to_string(run.seed)},
        {"  version", run.programVersion.empty() ? "-" : run.programVersion},
        {"  created", formatTime(run.createdAt)},
    };
    if (run.startedAt)
        fields.push_back({"  started", formatTime(*run.startedAt)});
    if (run.finishedAt) {
        fields.push_back(
            {"  finished", formatTime(*run.finishedAt)
                               + (run.startedAt ? " (took " + formatDuration(*run.finishedAt - *run.startedAt) + ")"
                                                : std::string())});
    }
    if (run.totalSteps > 0) {
        fields.push_back({"  steps", std::to_string(run.totalSteps)
                                         + (run.startStep > 0 ? " (resumed at " + std::to_string(run.startStep) + ")"
                                                              : std::string())});
    }
    if (run.totalParameters > 0) {
        fields.push_back({"  parameters", std::to_string(run.trainableParameters) + " trainable of "
                                              + std::to_string(run.totalParameters)});
    }
    fields.push_back({"  config", "sha256 " + run.configSha256});
    if (run.parentRunId != 0)
        fields.push_back({"  parent", "run " + std::to_string(run.parentRunId)});
    fields.push_back({"  tags", run.tags.empty() ? "-" : joined(run.tags, ", ")});
    fields.push_back({"  notes", run.notes.empty() ? "-" : run.notes});
    printTable(out, fields);

    std::vector<std::vector<std::string>> series{{"  SERIES", "COUNT", "LATEST", "AT STEP", "BEST", "AT STEP"}};
    for (const storage::SeriesSummary &summary : reader.summaries(run.id)) {
        if (storage::isPerLayerSeries(summary.series))
            continue;
        series.push_back({"  " + summary.series, std::to_string(summary.count), formatNumber(summary.latestValue),
                          std::to_string(summary.latestStep), formatNumber(summary.bestValue),
                          std::to_string(summary.bestStep)});
    }
    out << "\nMetrics" << (series.size() == 1 ? ": none recorded\n" : ":\n");
    if (series.size() > 1)
        printTable(out, series);

    const std::vector<storage::EvaluationRecord> evaluations = reader.evaluations(run.id);
    if (!evaluations.empty()) {
        const std::int64_t lastStep = evaluations.back().step;
        out << "\nLast evaluation (step " << lastStep << "):\n";
        std::vector<std::vector<std::string>> rows{{"  TASK", "METRIC", "VALUE"}};
        for (const auto &record : evaluations) {
            if (record.step == lastStep)
                rows.push_back({"  " + record.task, record.metric, formatNumber(record.value)});
        }
        printTable(out, rows);
    }

    const std::vector<storage::ArtifactRecord> artifacts = store.artifacts(run.id);
    if (!artifacts.empty()) {
        out << "\nArtifacts:\n";
        std::vector<std::vector<std::string>> rows{{"  KIND", "BYTES", "SHA256", "PATH"}};
        for (const auto &artifact : artifacts) {
            rows.push_back({"  " + artifact.kind, std::to_string(artifact.sizeBytes), artifact.sha256.substr(0, 16),
                            artifact.path});
        }
        printTable(out, rows);
    }

    out << "\nConfig:\n";
    try {
        std::istringstream pretty(nlohmann::json::parse(run.configJson).dump(2));
        for (std::string line; std::getline(pretty, line);)
            out << "  " << line << '\n';
    } catch (const nlohmann::json::parse_error &) {
        out << "  " << run.configJson << '\n';
    }
    return 0;
}

int compareRuns(RunStore &store, const Arguments &args, std::ostream &out)
{
    if (args.positional().size() < 2)
        throw UsageError{"compare takes two or more run ids"};
    std::vector<std::int64_t> ids;
    for (const std::string &word : args.positional())
        ids.push_back(parseRunId(word));
    const storage::RunComparison comparison = storage::compareRuns(store, ids);

    std::vector<std::string> header{""};
    for (const RunRecord &run : comparison.runs)
        header.push_back("run " + std::to_string(run.id));

    std::vector<std::vector<std::string>> runRows{header, {"name"}, {"variant"}, {"status"}};
    for (const RunRecord &run : comparison.runs) {
        runRows[1].push_back(run.name);
        runRows[2].push_back(run.variant);
        runRows[3].push_back(storage::toString(run.status));
    }
    printTable(out, runRows);

    out << "\nConfig differences";
    if (comparison.configDifferences.empty()) {
        out << ": none (identical configs)\n";
    } else {
        out << ":\n";
        std::vector<std::vector<std::string>> rows{header};
        rows.front().front() = "PATH";
        for (const storage::ConfigDifference &difference : comparison.configDifferences) {
            std::vector<std::string> row{difference.path};
            for (const auto &value : difference.values)
                row.push_back(value.value_or("(absent)"));
            rows.push_back(std::move(row));
        }
        printTable(out, rows);
    }

    out << "\nFinal metrics (latest value; best in brackets):\n";
    std::vector<std::vector<std::string>> rows{header};
    rows.front().front() = "SERIES";
    for (std::size_t i = 0; i < comparison.series.size(); ++i) {
        std::vector<std::string> row{comparison.series[i]};
        for (const auto &summary : comparison.finals[i]) {
            row.push_back(summary ? formatNumber(summary->latestValue) + " [" + formatNumber(summary->bestValue) + "]"
                                  : "-");
        }
        rows.push_back(std::move(row));
    }
    if (rows.size() == 1)
        out << "  none recorded\n";
    else
        printTable(out, rows);
    return 0;
}

int exportRun(RunStore &store, const Arguments &args, std::ostream &out)
{
    if (args.positional().size() != 1)
        throw UsageError{"export takes one run id"};
    const std::int64_t id = parseRunId(args.positional()[0]);
    const std::string format = args.value("format");
    if (format != "csv" && format != "json")
        throw UsageError{"export needs --format csv or --format json"};

    const std::string outputPath = args.value("output");
    std::ofstream file;
    std::ostream *target = &out;
    if (!outputPath.empty()) {
        store.run(id); // do not create the file for a run that does not exist
        file.open(outputPath, std::ios::binary | std::ios::trunc);
        if (!file)
            throw Error(outputPath, "cannot write the export file");
        target = &file;
    }
    if (format == "csv")
        storage::exportRunCsv(store, id, *target);
    else
        storage::exportRunJson(store, id, *target);
    if (file.is_open()) {
        file.close();
        if (!file)
            throw Error(outputPath, "writing the export file failed (disk full?)");
    }
    return 0;
}

int deleteRun(RunStore &store, const Arguments &args, std::ostream &out, std::ostream &err, std::istream &in)
{
    if (args.positional().size() != 1)
        throw UsageError{"delete takes one run id"};
    const RunRecord run = store.run(parseRunId(args.positional()[0]));
    if (!args.has("yes")) {
        storage::MetricReader reader(store);
        const std::int64_t samples = reader.scalarSampleCount(run.id) + reader.vectorSampleCount(run.id);
        out << "Delete run " << run.id << " \"" << run.name << "\" (" << storage::toString(run.status) << ", "
            << samples << " samples)? [y/N] " << std::flush;
        std::string answer;
        std::getline(in, answer);
        std::istringstream words(answer);
        std::string word; // the first word, lower case: "y" or "yes" deletes
        words >> word;
        std::transform(word.begin(), word.end(), word.begin(), [](unsigned char c) { return std::tolower(c); });
        if (word != "y" && word != "yes") {
            err << "Not deleted.\n";
            return 1;
        }
    }
    store.deleteRun(run.id);
    out << "Deleted run " << run.id << ".\n";
    return 0;
}

int tagRun(RunStore &store, const Arguments &args, std::ostream &out)
{
    if (args.positional().size() < 2)
        throw UsageError{"tag takes a run id and one or more tags"};
    const std::int64_t id = parseRunId(args.positional()[0]);
    const std::vector<std::string> tags(args.positional().begin() + 1, args.positional().end());
    if (args.has("remove"))
        store.removeTags(id, tags);
    else
        store.addTags(id, tags);
    const RunRecord run = store.run(id);
    out << "Run " << id << " tags: " << (run.tags.empty() ? std::string("(none)") : joined(run.tags, ", ")) << '\n';
    return 0;
}

int noteRun(RunStore &store, const Arguments &args, std::ostream &out)
{
    if (args.positional().empty())
        throw UsageError{"note takes a run id and the text"};
    const std::int64_t id = parseRunId(args.positional()[0]);
    const std::vector<std::string> words(args.positional().begin() + 1, args.positional().end());
    store.setNotes(id, joined(words, " "));
    out << "Run " << id << (words.empty() ? " notes cleared.\n" : " notes set.\n");
    return 0;
}

// Registers one `runs` subcommand: `positionals` name its positional words
// (the last may repeat), `options` its --options taking a value, `flags`
// those without; `run` gets them as Arguments.
using RunsAction = std::function<int(RunStore &, const Arguments &, CommandIo &)>;

void addRunsSubcommand(CLI::App &runs, CommandIo &io, std::shared_ptr<const std::string> databasePath,
                       const std::string &name, const std::string &description,
                       std::vector<std::pair<std::string, std::string>> positionals,
                       std::vector<std::pair<std::string, std::string>> options,
                       std::vector<std::pair<std::string, std::string>> flags, bool lastRepeats, RunsAction run)
{
    CLI::App *command = addCommand(runs, name, description);
    command->fallthrough(); // `runs list --db PATH` as well as `runs --db PATH list`
    // One word each, but the last when it repeats (a vector positional takes
    // every word left, so only the last may be one).
    auto single = std::make_shared<std::vector<std::string>>(positionals.size());
    auto repeated = std::make_shared<std::vector<std::string>>();
    for (std::size_t i = 0; i < positionals.size(); ++i) {
        if (lastRepeats && i + 1 == positionals.size())
            command->add_option(positionals[i].first, *repeated, positionals[i].second);
        else
            command->add_option(positionals[i].first, (*single)[i], positionals[i].second);
    }
    auto values = std::make_shared<std::map<std::string, std::string>>();
    for (const auto &[option, help] : options)
        command->add_option("--" + option, (*values)[option], help);
    auto set = std::make_shared<std::map<std::string, bool>>();
    for (const auto &[flag, help] : flags)
        command->add_flag("--" + flag, (*set)[flag], help);
    command->callback(
        [command, single, repeated, positionals, lastRepeats, values, set, options, &io, databasePath, run] {
            Arguments args;
            const std::size_t singles = positionals.size() - (lastRepeats && !positionals.empty() ? 1 : 0);
            for (std::size_t i = 0; i < singles; ++i)
                if (command->count(positionals[i].first) > 0)
                    args.positional_.push_back((*single)[i]);
            args.positional_.insert(args.positional_.end(), repeated->begin(), repeated->end());
            for (const auto &[option, help] : options)
                if (command->count("--" + option) > 0)
                    args.options_[option] = values->at(option);
            for (const auto &[flag, on] : *set)
                if (on)
                    args.options_[flag] = "";
            RunStore store(databasePath->empty() ? storage::defaultDatabasePath() : *databasePath);
            io.status = run(store, args, io);
        });
}

} // namespace

void addRunsCommand(CLI::App &lorawb, CommandIo &io)
{
    CLI::App *runs
        = addCommand(lorawb, "runs", "look after the run store: list, show, compare, export, delete, tag, note");
    runs->require_subcommand(1);
    runs->footer("The database is --db PATH, else $LWB_DB, else $XDG_DATA_HOME/lora-workbench/runs.db\n"
                 "(~/.local/share/lora-workbench/runs.db).");
    auto databasePath = std::make_shared<std::string>();
    runs->add_option("--db", *databasePath, "the run store (may also stand after the command)")->type_name("PATH");
    const auto &database = databasePath; // shared by every subcommand's callback

    addRunsSubcommand(
        *runs, io, database, "list", "runs, newest first", {},
        {{"status", "only these statuses: S[,S...]"},
         {"variant", "only this variant"},
         {"tag", "only runs with this tag"},
         {"search", "only runs whose name or notes hold TEXT"},
         {"limit", "at most N runs"}},
        {}, false, [](RunStore &store, const Arguments &args, CommandIo &io) { return listRuns(store, args, io.out); });
    addRunsSubcommand(*runs, io, database, "show", "one run: fields, final metrics, evaluations, artifacts, config",
                      {{"ID", "the run"}}, {}, {}, false, [](RunStore &store, const Arguments &args, CommandIo &io) {
                          return showRun(store, args, io.out);
                      });
    addRunsSubcommand(
        *runs, io, database, "compare", "config differences and final metrics side by side",
        {{"ID", "two or more runs"}}, {}, {}, true,
        [](RunStore &store, const Arguments &args, CommandIo &io) { return compareRuns(store, args, io.out); });
    addRunsSubcommand(
        *runs, io, database, "export",
        "samples (csv) or everything (json) to stdout or FILE (the adapter itself: lorawb export ID "
        "--format peft|merged|bundle)",
        {{"ID", "the run"}}, {{"format", "csv or json"}, {"output", "the file written (default: stdout)"}}, {}, false,
        [](RunStore &store, const Arguments &args, CommandIo &io) { return exportRun(store, args, io.out); });
    addRunsSubcommand(*runs, io, database, "delete", "delete a run and all its samples (asks unless --yes)",
                      {{"ID", "the run"}}, {}, {{"yes", "do not ask"}}, false,
                      [](RunStore &store, const Arguments &args, CommandIo &io) {
                          return deleteRun(store, args, io.out, io.err, io.in);
                      });
    addRunsSubcommand(
        *runs, io, database, "tag", "add (or remove) tags", {{"ID", "the run"}, {"TAG", "one or more tags"}}, {},
        {{"remove", "remove the tags instead"}}, true,
        [](RunStore &store, const Arguments &args, CommandIo &io) { return tagRun(store, args, io.out); });
    addRunsSubcommand(
        *runs, io, database, "note", "set the run's notes (no TEXT clears them)",
        {{"ID", "the run"}, {"TEXT", "the notes, as words"}}, {}, {}, true,
        [](RunStore &store, const Arguments &args, CommandIo &io) { return noteRun(store, args, io.out); });
}

int runRunsCommand(const std::vector<std::string> &args, std::ostream &out, std::ostream &err, std::istream &in)
{
    CommandIo io{out, err, in};
    CLI::App lorawb("lorawb runs", "lorawb");
    addRunsCommand(lorawb, io);
    std::vector<std::string> words{"runs"};
    if (!args.empty() && args.front() == "help")
        words.emplace_back("--help");
    else
        words.insert(words.end(), args.begin(), args.end());
    if (args.empty()) { // the usage, as an error
        CommandIo usage{err, err, in};
        runCommandLine(lorawb, {"runs", "--help"}, usage);
        return 2;
    }
    return runCommandLine(lorawb, words, io);
}

} // namespace lwb::cli
