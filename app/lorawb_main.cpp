// lorawb: the command-line front end. Wiring only: parse the words, build
// engine objects, attach observers, report errors.
//
//   lorawb --version
//   lorawb validate CONFIG.json [--set key.path=value ...]
//   lorawb train CONFIG.json [--set key.path=value ...] [--db PATH | --no-db]
//   lorawb pretrain CONFIG.json --out DIR [--force] [--set ...] [--db PATH | --no-db]
//   lorawb runs list|show|compare|export|delete|tag|note ...
//   lorawb export RUN_ID --format peft|merged|base|bundle ...
//   lorawb dlp CONFIG.json [--set ...] [--prompt TEXT ...] [--db PATH | --no-db]
//   lorawb data build-lexicon [--out DIR] [--max-per-task N] [--seed S]
//   lorawb tokenize | score | generate | eval ...   (app/inspect_command.h)
#include "app/data_command.h"
#include "app/dlp_command.h"
#include "app/inspect_command.h"
#include "app/model_inspect_command.h"
#include "app/export_command.h"
#include "app/runs_command.h"
#include "engine/config/run_config.h"
#include "engine/core/error.h"
#include "engine/core/runtime.h"
#include "engine/export/peft_import.h"
#include "engine/export/run_export.h"
#include "engine/train/progress_printer.h"
#include "engine/train/trainer.h"
#include "storage/database_location.h"
#include "storage/run_recorder.h"

#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

namespace {

constexpr const char *kUsage = R"(usage:
  lorawb --version
  lorawb validate CONFIG.json [--set key.path=value ...]
  lorawb train CONFIG.json [--set key.path=value ...] [--db PATH | --no-db]
  lorawb pretrain CONFIG.json --out DIR [--force] [--set ...] [--db PATH | --no-db]
                                                    (adapter.variant "full": the whole base trains; its final
                                                    weights are written to DIR as a Hugging Face folder)
  lorawb runs list|show|compare|export|delete|tag|note ...   (lorawb runs --help)
  lorawb export RUN_ID --format peft|merged|base|bundle [--out DIR] [--force] ...   (lorawb export --help)
  lorawb dlp CONFIG.json [--set key.path=value ...] [--prompt TEXT ...] [--db PATH | --no-db]
                                                    (a DLP-LoRA study, recorded like train)
  lorawb data build-lexicon [--out DIR] [--max-per-task N] [--seed S]   (lorawb data --help)
  lorawb tokenize --tokenizer PATH|byte [--input lines|jsonl] [--decode keep|skip]
                                                   (stdin lines, or JSON strings / {"text"} objects with
                                                   --input jsonl -> JSON id arrays; --decode: JSON id arrays ->
                                                   JSON strings, special tokens kept or skipped)
  lorawb score --model DIR [--adapter DIR] --text-file F | --ids-file F.json   (per-token log-probabilities, JSON)
  lorawb generate --model DIR [--adapter DIR] --prompt TEXT [--max-new-tokens N] [--temperature T]
                  [--top-p P] [--seed S]           (DIR: a Hugging Face folder, e.g. lorawb export --format base)
  lorawb eval --model DIR [--adapter DIR] --data F.jsonl [--task T] [--max-examples N] [--exact-match yes]
                                                   (loss, perplexity, exact match of a byte-level model)
  lorawb inspect MODEL [--json]                     (architecture, parameters, dtype, tokenizer, special tokens
                                                   and their files, chat template, target module names)
DIR / MODEL may also be builtin:NAME, a model the workbench ships (builtin:lexicon-base), or a Hugging Face
hub-cache folder (models--ORG--NAME, or its snapshots/HASH).

Runs are recorded in the run store: --db PATH, else $LWB_DB, else
$XDG_DATA_HOME/lora-workbench/runs.db; --no-db trains without recording.
--set overrides any value of the config, e.g. --set training.lr=1e-3 --set adapter.targets='["c_attn"]';
the result is validated like the file. Ctrl-C during training stops after the current step and
writes a checkpoint; training.resume_from=DIR continues from it. `export` writes a run's adapter
as files that PEFT / transformers load; `runs export` writes a run's metrics (CSV/JSON).
)";

struct ConfigArguments
{
    std::string path;
    std::vector<std::string> overrides;
    std::string database; // "" = the default location
    bool record = true;
};

// Throws lwb::Error for words it does not understand.
ConfigArguments parseConfigArguments(const std::vector<std::string> &words)
{
    ConfigArguments args;
    for (std::size_t i = 0; i < words.size(); ++i) {
        const auto &word = words[i];
        if (word == "--set") {
            if (i + 1 == words.size())
                throw lwb::Error("--set", "expects key.path=value");
            args.overrides.push_back(words[++i]);
        } else if (word.rfind("--set=", 0) == 0) {
            args.overrides.push_back(word.substr(6));
        } else if (word == "--db") {
            if (i + 1 == words.size())
                throw lwb::Error("--db", "expects a database path");
            args.database = words[++i];
        } else if (word == "--no-db") {
            args.record = false;
        } else if (!word.empty() && word[0] == '-') {
            throw lwb::Error(word, "unknown option");
        } else if (args.path.empty()) {
            args.path = word;
        } else {
            throw lwb::Error(word, "unexpected argument (only one config file)");
        }
    }
    if (args.path.empty())
        throw lwb::Error("", "missing CONFIG.json");
    return args;
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

int validate(const std::vector<std::string> &words)
{
    const auto args = parseConfigArguments(words);
    const auto config = lwb::loadRunConfig(args.path, args.overrides);
    lwb::checkInitFromFolder(config.adapter, args.path);
    std::cout << args.path << ": valid (" << config.adapter.variant << ", " << config.training.steps << " steps)\n";
    return 0;
}

// Trains a config to its end, printing progress and recording into the run
// store; Ctrl-C stops after the current step with a checkpoint.
lwb::RunOutcome trainConfig(const ConfigArguments &args, lwb::RunConfig config, const std::string &command)
{
    lwb::Trainer trainer(std::move(config));
    lwb::ProgressPrinter printer(std::cout, isatty(STDOUT_FILENO) != 0);
    trainer.addObserver(&printer);
    // Opened before training starts, so a bad database file stops the run
    // before any work is done.
    std::unique_ptr<lwb::storage::RunRecorder> recorder;
    if (args.record) {
        const auto database = args.database.empty() ? lwb::storage::defaultDatabasePath() : args.database;
        recorder = std::make_unique<lwb::storage::RunRecorder>(database);
        trainer.addObserver(recorder.get());
        std::cout << "recording into " << database << "\n";
    }

    gRunningTrainer = &trainer;
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    const auto outcome = trainer.run();
    gRunningTrainer = nullptr;
    if (outcome == lwb::RunOutcome::Cancelled)
        std::cout << "resume with: lorawb " << command << " " << args.path << " --set training.resume_from="
                  << trainer.config().training.outputDir << "\n";
    return outcome;
}

int train(const std::vector<std::string> &words)
{
    const auto args = parseConfigArguments(words);
    const auto outcome = trainConfig(args, lwb::loadRunConfig(args.path, args.overrides), "train");
    return outcome == lwb::RunOutcome::Finished ? 0 : 130;
}

// pretrain: a "full" run (every base weight trains), then its final weights
// written as a Hugging Face folder that model.path and --model accept.
int pretrain(std::vector<std::string> words)
{
    std::string out;
    bool force = false;
    for (auto word = words.begin(); word != words.end();) {
        if (*word == "--out" && word + 1 != words.end()) {
            out = *(word + 1);
            word = words.erase(word, word + 2);
        } else if (*word == "--force") {
            force = true;
            word = words.erase(word);
        } else {
            ++word;
        }
    }
    if (out.empty())
        throw lwb::Error("--out", "missing: the folder the pretrained model is written to");
    const auto args = parseConfigArguments(words);
    auto config = lwb::loadRunConfig(args.path, args.overrides);
    if (config.adapter.variant != lwb::kFullVariant)
        throw lwb::Error(args.path, "adapter.variant is \"" + config.adapter.variant
                                        + "\"; pretraining trains the whole base (\"full\")");
    // Refuse a taken destination now, not after the training.
    const std::filesystem::path destination(out);
    if (std::filesystem::exists(destination) && !force)
        throw lwb::Error(out, "exists; pass --force to replace it");
    if (config.training.outputDir.empty())
        config.training.outputDir = lwb::newRunFolder(config.name);
    const auto outputDir = config.training.outputDir;
    const auto outcome = trainConfig(args, std::move(config), "pretrain --out " + out);
    if (outcome != lwb::RunOutcome::Finished)
        return 130;

    lwb::RunExportRequest request;
    request.checkpoint = outputDir;
    request.format = "merged";
    request.destination = destination.has_parent_path() ? destination.parent_path().string() : ".";
    request.name = destination.filename().string();
    request.force = force;
    const auto result = lwb::exportRun(request);
    std::cout << "wrote the pretrained model to " << result.folder << "\n";
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    const std::vector<std::string> words(argv + 1, argv + argc);
    if (words.empty() || words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
        std::cout << kUsage;
        return words.empty() ? 2 : 0;
    }
    try {
        const std::vector<std::string> rest(words.begin() + 1, words.end());
        if (words[0] == "--version") {
            std::cout << lwb::versionLine("lorawb") << '\n';
            return 0;
        }
        if (words[0] == "validate")
            return validate(rest);
        if (words[0] == "train")
            return train(rest);
        if (words[0] == "pretrain")
            return pretrain(rest);
        if (words[0] == "eval")
            return lwb::cli::runEvalCommand(rest, std::cout);
        if (words[0] == "runs")
            return lwb::cli::runRunsCommand(rest, std::cout, std::cerr, std::cin);
        if (words[0] == "export")
            return lwb::cli::runExportCommand(rest, std::cout, std::cerr);
        if (words[0] == "dlp")
            return lwb::cli::runDlpCommand(rest, std::cout);
        if (words[0] == "tokenize")
            return lwb::cli::runTokenizeCommand(rest, std::cin, std::cout);
        if (words[0] == "score")
            return lwb::cli::runScoreCommand(rest, std::cout);
        if (words[0] == "generate")
            return lwb::cli::runGenerateCommand(rest, std::cout);
        if (words[0] == "inspect")
            return lwb::cli::runInspect(rest, std::cout, std::cerr);
        if (words[0] == "data")
            return lwb::cli::runDataCommand(rest, std::cout, std::cerr);
        std::cerr << "lorawb: unknown command \"" << words[0] << "\"\n" << kUsage;
        return 2;
    } catch (const lwb::Error &error) {
        std::cerr << "lorawb: " << error.what() << '\n';
        return 1;
    } catch (const std::exception &error) {
        std::cerr << "lorawb: internal error: " << error.what() << '\n';
        return 3;
    }
}
