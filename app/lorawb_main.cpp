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
//   lorawb tokenize | score ...   (app/inspect_command.h)
//   lorawb generate ...   (app/generate_command.h)
//   lorawb eval ...   (app/eval_command.h)
//   lorawb inspect MODEL [--json]   (app/model_inspect_command.h)
//   lorawb study STUDY.json ...   (app/study_command.h)
#include "app/command_line.h"
#include "app/data_command.h"
#include "app/dlp_command.h"
#include "app/eval_command.h"
#include "app/export_command.h"
#include "app/generate_command.h"
#include "app/inspect_command.h"
#include "app/interrupt_watch.h"
#include "app/model_inspect_command.h"
#include "app/runs_command.h"
#include "app/study_command.h"
#include "app/train_commands.h"

#include "engine/core/runtime.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <string>
#include <vector>

namespace {

constexpr const char *kDescription
    = "lorawb: LoRA Workbench from a shell. Train LoRA variants from a run config, keep every run in\n"
      "the run store, compare runs and export adapters that PEFT and transformers load.\n";

constexpr const char *kFooter
    = "`lorawb COMMAND --help` shows one command's options.\n"
      "DIR / MODEL may also be builtin:NAME, a model the workbench ships (builtin:lexicon-base), or a\n"
      "Hugging Face hub-cache folder (models--ORG--NAME, or its snapshots/HASH).\n"
      "Runs are recorded in the run store: --db PATH, else $LWB_DB, else\n"
      "$XDG_DATA_HOME/lora-workbench/runs.db; --no-db trains without recording.\n"
      "--set overrides any value of the config, e.g. --set training.lr=1e-3 --set adapter.targets='[\"c_attn\"]';\n"
      "the result is validated like the file. Ctrl-C during training stops after the current step and\n"
      "writes a checkpoint; training.resume_from=DIR continues from it. `export` writes a run's adapter\n"
      "as files that PEFT / transformers load; `runs export` writes a run's metrics (CSV/JSON).\n"
      "Exit status: 0 done, 1 failed, 2 usage error, 3 internal error, 130 stopped by Ctrl-C.";

} // namespace

int main(int argc, char **argv)
{
    using namespace lwb::cli;
    watchInterrupts(); // before any thread exists (app/interrupt_watch.h)
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
    addTokenizeCommand(lorawb, io);
    addScoreCommand(lorawb, io);
    addGenerateCommand(lorawb, io);
    addEvalCommand(lorawb, io);
    addInspectCommand(lorawb, io);
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
