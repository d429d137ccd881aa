// `lorawb dlp CONFIG.json [--set key.path=value ...] [--prompt TEXT ...]`:
// a DLP-LoRA study end to end (engine/dlp/dlp_study.h) — train the task
// LoRAs and the multi-task baseline, train the plugin, evaluate, print the
// table; then answer each --prompt with the selected LoRAs, their weights
// and the generated text. The config must have adapter.variant "dlp"
// (resources/configs/dlp_default.json). Registered as the `dlp` subcommand
// of lorawb's one command line (app/command_line.h).
#pragma once

namespace CLI {
class App;
}

namespace lwb::cli {

struct CommandIo;

void addDlpCommand(CLI::App &lorawb, CommandIo &io);

} // namespace lwb::cli
