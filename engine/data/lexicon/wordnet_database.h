// WordNetDatabase: the synsets and the lemma index of Princeton WordNet 3.0
// as Debian's wordnet-base installs them (/usr/share/wordnet), read from the
// plain-text database files described in wndb(5WN).
//
// data.POS: one synset per line,
//   offset lex_filenum ss_type w_cnt(hex) {word lex_id(hex)}... p_cnt
//   {ptr_symbol offset pos source/target(hex hex)}... [verb frames] | gloss
// index.POS: one lemma per line, its synsets in sense order (most frequent
// first): lemma pos synset_cnt p_cnt {ptr_symbol}... sense_cnt tagsense_cnt
// {offset}...
// Lines that start with two spaces are the licence header and are skipped.
// Every malformed line is an lwb::Error naming the file, the line number and
// the field that is wrong. Torch-free.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lwb::lexicon {

// The four parts of speech of WordNet; satellite adjectives ('s') count as adjectives.
enum class PartOfSpeech { Noun, Verb, Adjective, Adverb };

const std::vector<PartOfSpeech> &allPartsOfSpeech();
std::string fileSuffix(PartOfSpeech pos);  // "noun", "verb", "adj", "adv"
std::string displayName(PartOfSpeech pos); // "noun", "verb", "adjective", "adverb"

struct SynsetPointer
{
    std::string symbol; // "!" antonym, "@" hypernym, "@i" instance hypernym, ...
    std::uint64_t targetOffset = 0;
    PartOfSpeech targetPos = PartOfSpeech::Noun;
    int sourceWord = 0; // 1-based word number in this synset, 0 = the whole synset
    int targetWord = 0; // 1-based word number in the target synset, 0 = the whole synset
};

struct Synset
{
    std::uint64_t offset = 0;
    PartOfSpeech pos = PartOfSpeech::Noun;
    std::vector<std::string> words; // as written, underscores -> spaces, adjective markers removed
    std::vector<SynsetPointer> pointers;
    std::string definition;            // the gloss without its quoted examples
    std::vector<std::string> examples; // the quoted example sentences, quotes removed
};

struct IndexEntry
{
    std::string lemma; // lower case, underscores -> spaces
    PartOfSpeech pos = PartOfSpeech::Noun;
    std::int64_t taggedSenses = 0;      // senses seen in the tagged corpora
    std::vector<std::uint64_t> synsets; // sense 1 first
};

// Parses one data-file line (not a licence line). `where` is "file:line" for errors.
Synset parseDataLine(const std::string &line, PartOfSpeech filePos, const std::string &where);
// Parses one index-file line (not a licence line).
IndexEntry parseIndexLine(const std::string &line, const std::string &where);
// Splits a gloss into its definition and its quoted examples.
void splitGloss(const std::string &gloss, std::string &definition, std::vector<std::string> &examples);

class WordNetDatabase
{
public:
    // Reads DIR/data.{noun,verb,adj,adv} and DIR/index.{noun,verb,adj,adv}. A
    // missing file is an Error naming it and the Debian package to install.
    static WordNetDatabase load(const std::string &directory);

    // Adds parsed content (used by load() and by tests on in-memory lines).
    void addSynset(Synset synset);
    void addIndexEntry(IndexEntry entry);

    // nullptr when the synset is not in the database.
    const Synset *synset(PartOfSpeech pos, std::uint64_t offset) const;
    // The index entries of one part of speech, in file (alphabetical) order.
    const std::vector<IndexEntry> &index(PartOfSpeech pos) const;
    std::size_t synsetCount() const;
    // Every synset, by part of speech then offset.
    std::vector<const Synset *> synsets() const;

private:
    std::map<std::pair<int, std::uint64_t>, Synset> synsets_;
    std::map<int, std::vector<IndexEntry>> index_;
};

} // namespace lwb::lexicon
