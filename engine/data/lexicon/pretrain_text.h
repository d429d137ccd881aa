// The lexicon suite's pretraining text: WordNet's glosses and usage examples
// as plain text, what the built-in base model (resources/models) learns
// English from before any adapter trains on the tasks.
//
// One text per synset: "words (pos): definition; \"example\"; ...". The
// synset goes to the split of its words (LexiconBuilder's splitOf, by lower-
// cased word) only when all of them share that split; a synset whose words
// straddle splits is left out, so the base never reads the gloss of an eval
// or test headword (the define task's answer) during pretraining. Torch-free.
#pragma once

#include "engine/data/lexicon/lexicon_builder.h"
#include "engine/data/lexicon/wordnet_database.h"

#include <array>
#include <string>
#include <vector>

namespace lwb::lexicon {

// "car, auto, automobile (noun): a motor vehicle ...; \"he needs a car to get to work\""
std::string synsetText(const Synset &synset);

// Texts per split (indexed by Split), in synset order (part of speech, then offset).
std::array<std::vector<std::string>, 3> pretrainTexts(const WordNetDatabase &database, std::uint64_t seed);

// One {"text": ...} line per text, written through a temporary file renamed into place.
void writeTextJsonl(const std::string &path, const std::vector<std::string> &texts);

} // namespace lwb::lexicon
