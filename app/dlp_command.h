// `lorawb dlp CONFIG.json [--set key.path=value ...] [--prompt TEXT ...]`:
// a DLP-LoRA study end to end (engine/dlp/dlp_study.h) — train the task
// LoRAs and the multi-task baseline, train the plugin, evaluate, print the
// table; then answer each --prompt with the selected LoRAs, their weights
// and the generated text. The config must have adapter.variant "dlp"
// (resources/configs/dlp_default.json). Results go to out; the return value
// is the exit status. Throws lwb::Error for bad arguments or configs.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace lwb::cli {

int runDlpCommand(const std::vector<std::string> &args, std::ostream &out);

} // namespace lwb::cli
