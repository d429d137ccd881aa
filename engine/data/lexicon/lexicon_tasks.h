// The tasks of the built-in lexicon suite: prompt/completion examples drawn
// from WordNet and from FreeDict's English-to-X dictionaries.
//
// Every prompt is "<task>: <input>\n" (as in the generated task suite) and the
// completion is the answer alone:
//   define        "define: bank (noun)\n"       -> the gloss of sense 1, examples removed
//   synonym       "synonym: car (noun)\n"       -> "auto", the next word of sense 1's synset
//   antonym       "antonym: good (adjective)\n" -> "bad", the first '!' pointer of the word
//                                                  (earliest sense that has one)
//   hypernym      "hypernym: dog (noun)\n"      -> "canine", the first word of sense 1's
//                                                  first '@' synset ('@i' for instances)
//   pos           "pos: quickly\n"              -> "adverb", the part of speech with the most
//                                                  tagged senses (ties: more senses, then
//                                                  noun, verb, adjective, adverb)
//   translate-XX  "translate-de: house\n"       -> "Haus", see translationExamples()
// Each example carries its headword: the splits keep a headword on one side.
// Torch-free.
#pragma once

#include "engine/data/lexicon/freedict_dictionary.h"
#include "engine/data/lexicon/wordnet_database.h"

#include <string>
#include <vector>

namespace lwb::lexicon {

struct LexiconExample
{
    std::string task;
    std::string headword; // what the split is keyed on
    std::string prompt;
    std::string completion;
};

// A-Z to a-z; other bytes unchanged (WordNet lemmas are ASCII; index lemmas are lower case).
std::string lowerAscii(std::string text);

// The WordNet tasks, in the order define, synonym, antonym, hypernym, pos.
std::vector<std::string> wordnetTaskNames();
// The FreeDict tasks and the dictd name of each: translate-de -> freedict-eng-deu, ...
std::vector<std::pair<std::string, std::string>> translationTasks();

// Lemmas made of lower-case letters, spaces, hyphens, apostrophes and dots
// (no digits, no other scripts) take part; the rest are skipped.
std::vector<LexiconExample> wordnetExamples(const WordNetDatabase &database);

// One example per single-word, lower-case headword (a-z, at least two
// letters). Where the dictionary has several entries for it, the entry with
// the most usage examples wins (the German dictionary lists senses
// alphabetically, so examples are the best sign of the common sense), then
// the shortest pronunciation (the Spanish and Italian ones index multi-word
// phrases under their first word; their pronunciations are longer), then the
// first in the index. The answer is the first alternative of the first sense
// with grammatical annotations (<neut>, [Am.]) removed.
std::vector<LexiconExample> translationExamples(const FreeDictDictionary &dictionary, const std::string &task);

} // namespace lwb::lexicon
