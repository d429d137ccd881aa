// `lorawb validate | train | pretrain CONFIG.json ...`: a run config checked,
// trained (progress printed, recorded in the run store, Ctrl-C stops after
// the current step with a checkpoint), or trained as a whole base model
// ("full") and written as a Hugging Face folder.
#pragma once

namespace CLI {
class App;
}

namespace lwb::cli {

struct CommandIo;

void addTrainCommands(CLI::App &lorawb, CommandIo &io);

} // namespace lwb::cli
