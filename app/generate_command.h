// lorawb generate --model DIR [--adapter DIR] --prompt TEXT | --prompt-ids F.json
//                 [--max-new-tokens N] [--temperature T] [--top-k K] [--top-p P]
//                 [--repetition-penalty R] [--stop STRING ...] [--seed S]
//
// Prints the continuation of a prompt as JSON ({"ids", "finished", "text",
// and "stop_string" when one ended it}): greedy at temperature 0 (the
// default), else sampled with top-k / top-p; the repetition penalty as
// transformers' RepetitionPenaltyLogitsProcessor; with a KV cache
// (engine/model/generation.h, token_sampling.h). Decoding ends at any of the
// checkpoint's end ids (SequenceFormat::stopIds: an eos_token_id list), at a
// stop string (the text is cut before it) or after --max-new-tokens.
// --prompt-ids continues token ids as given (tests/interop compares them with
// transformers' generate). DIR and --adapter as model_inputs.h says.
#pragma once

namespace CLI {
class App;
}

namespace lwb::cli {

struct CommandIo;

void addGenerateCommand(CLI::App &lorawb, CommandIo &io);

} // namespace lwb::cli
