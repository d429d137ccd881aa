// LexiconBuilder: builds the lexicon suite from the installed Debian packages
// and writes it as JSONL train/eval/test files.
//
// Splits: each headword goes to train (80 %), eval (10 %) or test (10 %) by
// a hash of (seed, headword) alone, so a word never appears in two splits of
// a task, nor in different splits of different tasks (no leakage of a word's
// meaning from define/train into synonym/test). With maxPerTask, a task keeps
// the N examples with the smallest hash of (seed, task, headword) before the
// split, so the ratios hold for the subset too. Files list the examples of all
// tasks interleaved in a seed-determined order. The same packages, seed and
// maxPerTask give byte-identical files. Torch-free.
#pragma once

#include "engine/data/lexicon/lexicon_tasks.h"

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace lwb::lexicon {

enum class Split { Train = 0, Eval = 1, Test = 2 };
const char *splitName(Split split); // "train", "eval", "test"

// The split of a headword: a pure function of (seed, headword).
Split splitOf(const std::string &headword, std::uint64_t seed);

struct LexiconSplits
{
    std::array<std::vector<LexiconExample>, 3> examples; // indexed by Split
    // task -> examples per split
    std::map<std::string, std::array<std::int64_t, 3>> counts;
    // Pretraining texts (glosses) per split (pretrain_text.h); set by buildLexicon.
    std::array<std::int64_t, 3> pretrainTexts{0, 0, 0};
};

// Samples (maxPerTask > 0), splits and orders examples as described above.
LexiconSplits splitExamples(std::vector<LexiconExample> examples, std::uint64_t seed, std::int64_t maxPerTask);

struct LexiconBuildOptions
{
    std::string wordnetDir = "/usr/share/wordnet"; // Debian package wordnet-base
    std::string dictdDir = "/usr/share/dictd";     // Debian packages dict-freedict-eng-*
    std::string outDir = "lexicon";
    std::int64_t maxPerTask = 0; // 0 = every example
    std::uint64_t seed = 0;
};

// Reads every source (all missing packages are named in one Error), builds
// the tasks, writes OUT/{train,eval,test}.jsonl and the pretraining text
// OUT/pretrain_{train,eval,test}.jsonl (each through a temporary file renamed
// into place) and returns the splits.
LexiconSplits buildLexicon(const LexiconBuildOptions &options);

// One JSONL line: {"prompt":..,"completion":..,"task":..}.
std::string toJsonLine(const LexiconExample &example);
void writeJsonl(const std::string &path, const std::vector<LexiconExample> &examples);
// Writes through PATH.tmp renamed into place; errors name the file.
void writeFileAtomically(const std::string &path, const std::function<void(std::ostream &)> &write);

// The per-task count table that `lorawb data build-lexicon` prints.
void printCounts(const LexiconSplits &splits, std::ostream &out);

} // namespace lwb::lexicon
