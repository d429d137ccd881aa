// lorawb: the command-line front end. Wiring only: one CLI11 App whose
// subcommands the command files register (app/command_line.h says how errors
// and exit statuses work); `lorawb --help` lists them, `lorawb COMMAND --help`
// shows one.
//
//   lorawb --version
//   lorawb validate | train | pretrain CONFIG.json ...   (app/train_commands.h)
//   lorawb runs list|show|compare|export|delete|tag|note ...   (app/runs_command.h)
//   lorawb export RUN_ID --format peft|merged|base|bundle ...   (app/export_command.h)
//   lorawb dlp CONFIG.json ...   (app/dlp_command.h)
//   lorawb data build-lexicon ...   (app/data_command.h)
//   lorawb tokenize | score | generate | eval ...   (app/inspect_command.h)
//   lorawb inspect MODEL [--json]   (app/model_inspect_command.h)
//   lorawb study STUDY.json ...   (app/study_command.h)
#include "app/command_line.h"
#include "app/data_command.h"
#include "app/dlp_command.h"
#include "app/export_command.h"
#include "app/inspect_command.h"
#include "app/model_inspect_command.h"
#include "app/runs_command.h"
#include "app/study_command.h"
#include "app/train_commands.h"

#include "engine/core/runtime.h"

#include <CLI/CLI.hpp>

#include <functional>
#include <iostream>
#include <string>
#include <vector>

namespace {

constexpr const char *kDescription =
    "lorawb: LoRA Workbench from a shell. Train LoRA variants from a run config, keep every run in\n"
    "the run store, compare runs and export adapters that PEFT and transformers load.\n";

constexpr const char *kFooter =
    "`lorawb COMMAND --help` shows one command's options.\n"
    "DIR / MODEL may also be builtin:NAME, a model the workbench ships (builtin:lexicon-base), or a\n"
    "Hugging Face hub-cache folder (models--ORG--NAME, or its snapshots/HASH).\n"
    "Runs are recorded in the run store: --db PATH, else $LWB_DB, else\n"
    "$XDG_DATA_HOME/lora-workbench/runs.db; --no-db trains without recording.\n"
    "--set overrides any value of the config, e.g. --set training.lr=1e-3 --set adapter.targets='[\"c_attn\"]';\n"
    "the result is validated like the file. Ctrl-C during training stops after the current step and\n"
    "writes a checkpoint; training.resume_from=DIR continues from it. `export` writes a run's adapter\n"
    "as files that PEFT / transformers load; `runs export` writes a run's metrics (CSV/JSON).\n"
    "Exit status: 0 done, 1 failed, 2 usage error, 3 internal error, 130 stopped by Ctrl-C.";

// A command whose file parses its own words (not yet converted to CLI11
// options): CLI11 hands it every word after its name.
void addForwardedCommand(CLI::App &lorawb, lwb::cli::CommandIo &io, const std::string &name,
                         const std::string &description,
                         std::function<int(const std::vector<std::string> &, lwb::cli::CommandIo &)> run)
{
    CLI::App *command = lwb::cli::addCommand(lorawb, name, description);
    command->prefix_command();
    command->set_help_flag(); // its --help is its own
    command->callback([command, &io, run] { io.status = run(command->remaining(), io); });
}

} // namespace

int main(int argc, char **argv)
{
    using namespace lwb::cli;
    CommandIo io{std::cout, std::cerr, std::cin};
    CLI::App lorawb(kDescription, "lorawb");
    lorawb.get_formatter()->column_width(36);
    bool version = false;
    lorawb.add_flag("--version", version, "the version, with LibTorch's and CUDA's");
    lorawb.require_subcommand(0, 1);

    addTrainCommands(lorawb, io);
    addRunsCommand(lorawb, io);
    addExportCommand(lorawb, io);
    addDlpCommand(lorawb, io);
    addDataCommand(lorawb, io);
    // app/inspect_command.cpp still parses its own words (its --name value
    // pairs), so these four are forwarded whole.
    addForwardedCommand(lorawb, io, "tokenize",
                        "--tokenizer PATH|byte [--input lines|jsonl] [--special-tokens add|none] [--decode keep|skip]: "
                        "stdin lines, or JSON strings / {\"text\"} objects with --input jsonl -> JSON id arrays; "
                        "--decode: JSON id arrays -> JSON strings, special tokens kept or skipped",
                        [](const std::vector<std::string> &args, CommandIo &io) {
                            return runTokenizeCommand(args, io.in, io.out);
                        });
    addForwardedCommand(lorawb, io, "score",
                        "--model DIR [--adapter DIR] --text-file F | --ids-file F.json: per-token log-probabilities, "
                        "JSON",
                        [](const std::vector<std::string> &args, CommandIo &io) { return runScoreCommand(args, io.out); });
    addForwardedCommand(lorawb, io, "generate",
                        "--model DIR [--adapter DIR] --prompt TEXT [--max-new-tokens N] [--temperature T] [--top-p P] "
                        "[--seed S]: a continuation (DIR: a Hugging Face folder, e.g. lorawb export --format base)",
                        [](const std::vector<std::string> &args, CommandIo &io) {
                            return runGenerateCommand(args, io.out);
                        });
    addForwardedCommand(lorawb, io, "eval",
                        "--model DIR [--adapter DIR] --data F.jsonl [--task T] [--max-examples N] [--exact-match yes]: "
                        "loss, perplexity, exact match of a model on a JSONL file",
                        [](const std::vector<std::string> &args, CommandIo &io) { return runEvalCommand(args, io.out); });
    addForwardedCommand(lorawb, io, "inspect",
                        "MODEL [--json]: architecture, parameters, dtype, tokenizer, special tokens and their "
                        "files, chat template, target module names",
                        [](const std::vector<std::string> &args, CommandIo &io) { return runInspect(args, io.out, io.err); });
    addStudyCommand(lorawb, io);

    lorawb.footer(kFooter); // after the commands: they would inherit it

    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        std::cout << lorawb.help();
        return 2;
    }
    if (args.front() == "help") {
        std::cout << lorawb.help();
        return 0;
    }
    const int status = runCommandLine(lorawb, args, io);
    if (status == 0 && version) {
        std::cout << lwb::versionLine("lorawb") << '\n';
        return 0;
    }
    if (status == 0 && lorawb.get_subcommands().empty() && !version && args.front() != "--help"
        && args.front() != "-h") {
        std::cerr << lorawb.help();
        return 2;
    }
    return status;
}
