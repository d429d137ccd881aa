// lorawb inspect MODEL [--json]: what a base model is before a run uses it —
// architecture (model_type), parameters, stored dtype, tokenizer kind and
// size, special tokens (bos/eos/pad/unk, stop ids, the file each came from),
// chat template, and the module names adapter.targets accepts.
//
// MODEL: a checkpoint folder, a hub-cache models--ORG--NAME folder or one of
// its snapshots/HASH, or builtin:NAME (engine/model/model_inspection.h does
// the work; this file only registers the command and prints).
#pragma once

namespace CLI {
class App;
}

namespace lwb::cli {

struct CommandIo;

void addInspectCommand(CLI::App &lorawb, CommandIo &io);

} // namespace lwb::cli
