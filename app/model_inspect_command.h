// lorawb inspect MODEL [--json]: what a base model is before a run uses it —
// architecture (model_type), parameters, stored dtype, tokenizer kind and
// size, special tokens (bos/eos/pad/unk, stop ids, the file each came from),
// chat template, and the module names adapter.targets accepts.
//
// MODEL: a checkpoint folder, a hub-cache models--ORG--NAME folder or one of
// its snapshots/HASH, or builtin:NAME (engine/model/model_inspection.h does
// the work; this file only parses and prints). Returns the exit status;
// lwb::Error escapes to main() for bad input.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace lwb::cli {

int runInspect(const std::vector<std::string> &args, std::ostream &out, std::ostream &err);

} // namespace lwb::cli
