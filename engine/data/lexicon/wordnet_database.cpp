// See wordnet_database.h. The field layout follows wndb(5WN); numbers that
// the format writes in hexadecimal (w_cnt, lex_id, source/target) are read
// as such.
#include "engine/data/lexicon/wordnet_database.h"

#include "engine/core/error.h"
#include "engine/core/trim_whitespace.h"

#include <fstream>
#include <sstream>

namespace lwb::lexicon {

namespace {

const char *kPackageHint = "install the Debian package wordnet-base (apt-get install wordnet-base)";

std::vector<std::string> splitSpaces(const std::string &text)
{
    std::vector<std::string> tokens;
    std::istringstream in(text);
    std::string token;
    while (in >> token)
        tokens.push_back(token);
    return tokens;
}

std::string underscoresToSpaces(std::string word)
{
    for (auto &c : word)
        if (c == '_')
            c = ' ';
    return word;
}

// data.adj writes syntactic markers onto words: "galore(ip)", "elect(p)", "aforesaid(a)".
std::string stripAdjectiveMarker(const std::string &word)
{
    for (const char *marker : {"(a)", "(p)", "(ip)"}) {
        const std::string m(marker);
        if (word.size() > m.size() && word.compare(word.size() - m.size(), m.size(), m) == 0)
            return word.substr(0, word.size() - m.size());
    }
    return word;
}

PartOfSpeech posFromCode(const std::string &code, const std::string &where)
{
    if (code == "n")
        return PartOfSpeech::Noun;
    if (code == "v")
        return PartOfSpeech::Verb;
    if (code == "a" || code == "s")
        return PartOfSpeech::Adjective;
    if (code == "r")
        return PartOfSpeech::Adverb;
    throw Error(where, "unknown part-of-speech code \"" + code + "\" (expected n, v, a, s or r)");
}

std::uint64_t parseNumber(const std::string &token, int base, const std::string &where, const char *field)
{
    if (token.empty())
        throw Error(where, std::string("missing ") + field);
    std::size_t used = 0;
    unsigned long long value = 0;
    try {
        value = std::stoull(token, &used, base);
    } catch (const std::exception &) {
        used = 0;
    }
    if (used != token.size() || token[0] == '-' || token[0] == '+')
        throw Error(where, std::string(field) + " \"" + token + "\" is not a "
                               + (base == 16 ? "hexadecimal" : "decimal") + " number");
    return value;
}

// Reads the next token or fails naming the field that was expected.
const std::string &next(const std::vector<std::string> &tokens, std::size_t &at, const std::string &where,
                        const char *field)
{
    if (at >= tokens.size())
        throw Error(where, std::string("line ends before ") + field);
    return tokens[at++];
}

bool isLicenceLine(const std::string &line)
{
    return line.size() >= 2 && line[0] == ' ' && line[1] == ' ';
}

template <typename Handle> void readDatabaseFile(const std::string &path, Handle handle)
{
    std::ifstream file(path);
    if (!file)
        throw Error(path, std::string("cannot open the WordNet file: ") + kPackageHint);
    std::string line;
    std::int64_t number = 0;
    while (std::getline(file, line)) {
        ++number;
        if (line.empty() || isLicenceLine(line))
            continue;
        handle(line, path + ":" + std::to_string(number));
    }
}

} // namespace

const std::vector<PartOfSpeech> &allPartsOfSpeech()
{
    static const std::vector<PartOfSpeech> kAll{PartOfSpeech::Noun, PartOfSpeech::Verb, PartOfSpeech::Adjective,
                                                PartOfSpeech::Adverb};
    return kAll;
}

std::string fileSuffix(PartOfSpeech pos)
{
    switch (pos) {
    case PartOfSpeech::Noun:
        return "noun";
    case PartOfSpeech::Verb:
        return "verb";
    case PartOfSpeech::Adjective:
        return "adj";
    case PartOfSpeech::Adverb:
        return "adv";
    }
    return "";
}

std::string displayName(PartOfSpeech pos)
{
    switch (pos) {
    case PartOfSpeech::Noun:
        return "noun";
    case PartOfSpeech::Verb:
        return "verb";
    case PartOfSpeech::Adjective:
        return "adjective";
    case PartOfSpeech::Adverb:
        return "adverb";
    }
    return "";
}

void splitGloss(const std::string &gloss, std::string &definition, std::vector<std::string> &examples)
{
    examples.clear();
    const auto firstQuote = gloss.find('"');
    std::string head = gloss.substr(0, firstQuote);
    head = trimWhitespace(head);
    while (!head.empty() && (head.back() == ';' || head.back() == ' '))
        head.pop_back();
    definition = head;
    auto at = firstQuote;
    while (at != std::string::npos) {
        const auto close = gloss.find('"', at + 1);
        if (close == std::string::npos)
            break; // an unbalanced quote: the rest is not a usable example
        const auto example = trimWhitespace(gloss.substr(at + 1, close - at - 1));
        if (!example.empty())
            examples.push_back(example);
        at = gloss.find('"', close + 1);
    }
}

Synset parseDataLine(const std::string &line, PartOfSpeech filePos, const std::string &where)
{
    const auto bar = line.find('|');
    if (bar == std::string::npos)
        throw Error(where, "no gloss: the \"|\" that starts it is missing");
    const auto tokens = splitSpaces(line.substr(0, bar));
    std::size_t at = 0;
    Synset synset;
    synset.offset = parseNumber(next(tokens, at, where, "synset_offset"), 10, where, "synset_offset");
    next(tokens, at, where, "lex_filenum");
    synset.pos = posFromCode(next(tokens, at, where, "ss_type"), where);
    if (synset.pos != filePos)
        throw Error(where, "ss_type \"" + tokens[2] + "\" does not belong in data." + fileSuffix(filePos));
    const auto wordCount = parseNumber(next(tokens, at, where, "w_cnt"), 16, where, "w_cnt");
    if (wordCount == 0)
        throw Error(where, "w_cnt is 0: a synset has at least one word");
    for (std::uint64_t w = 0; w < wordCount; ++w) {
        synset.words.push_back(underscoresToSpaces(stripAdjectiveMarker(next(tokens, at, where, "word"))));
        parseNumber(next(tokens, at, where, "lex_id"), 16, where, "lex_id");
    }
    const auto pointerCount = parseNumber(next(tokens, at, where, "p_cnt"), 10, where, "p_cnt");
    for (std::uint64_t p = 0; p < pointerCount; ++p) {
        SynsetPointer pointer;
        pointer.symbol = next(tokens, at, where, "pointer_symbol");
        pointer.targetOffset = parseNumber(next(tokens, at, where, "pointer offset"), 10, where, "pointer offset");
        pointer.targetPos = posFromCode(next(tokens, at, where, "pointer pos"), where);
        const auto &sourceTarget = next(tokens, at, where, "pointer source/target");
        if (sourceTarget.size() != 4)
            throw Error(where, "pointer source/target \"" + sourceTarget + "\" is not four hexadecimal digits");
        pointer.sourceWord = static_cast<int>(parseNumber(sourceTarget.substr(0, 2), 16, where, "pointer source"));
        pointer.targetWord = static_cast<int>(parseNumber(sourceTarget.substr(2, 2), 16, where, "pointer target"));
        if (pointer.sourceWord > static_cast<int>(wordCount))
            throw Error(where, "pointer source word " + std::to_string(pointer.sourceWord) + " but the synset has "
                                   + std::to_string(wordCount) + " words");
        synset.pointers.push_back(std::move(pointer));
    }
    // What remains before the gloss is the verb frame list (data.verb only); not needed here.
    splitGloss(trimWhitespace(line.substr(bar + 1)), synset.definition, synset.examples);
    return synset;
}

IndexEntry parseIndexLine(const std::string &line, const std::string &where)
{
    const auto tokens = splitSpaces(line);
    std::size_t at = 0;
    IndexEntry entry;
    entry.lemma = underscoresToSpaces(next(tokens, at, where, "lemma"));
    entry.pos = posFromCode(next(tokens, at, where, "pos"), where);
    const auto synsetCount = parseNumber(next(tokens, at, where, "synset_cnt"), 10, where, "synset_cnt");
    const auto pointerCount = parseNumber(next(tokens, at, where, "p_cnt"), 10, where, "p_cnt");
    for (std::uint64_t p = 0; p < pointerCount; ++p)
        next(tokens, at, where, "ptr_symbol");
    parseNumber(next(tokens, at, where, "sense_cnt"), 10, where, "sense_cnt");
    entry.taggedSenses
        = static_cast<std::int64_t>(parseNumber(next(tokens, at, where, "tagsense_cnt"), 10, where, "tagsense_cnt"));
    for (std::uint64_t s = 0; s < synsetCount; ++s)
        entry.synsets.push_back(parseNumber(next(tokens, at, where, "synset_offset"), 10, where, "synset_offset"));
    if (at != tokens.size())
        throw Error(where, "unexpected text after the " + std::to_string(synsetCount) + " synset offsets");
    return entry;
}

WordNetDatabase WordNetDatabase::load(const std::string &directory)
{
    WordNetDatabase database;
    for (const auto pos : allPartsOfSpeech()) {
        readDatabaseFile(directory + "/data." + fileSuffix(pos),
                         [&](const std::string &line, const std::string &where) {
                             database.addSynset(parseDataLine(line, pos, where));
                         });
        readDatabaseFile(
            directory + "/index." + fileSuffix(pos), [&](const std::string &line, const std::string &where) {
                auto entry = parseIndexLine(line, where);
                if (entry.pos != pos)
                    throw Error(where, "an index line of another part of speech in index." + fileSuffix(pos));
                database.addIndexEntry(std::move(entry));
            });
    }
    // Every index offset must name a synset: a truncated data file shows up here, not as a silent gap.
    for (const auto pos : allPartsOfSpeech())
        for (const auto &entry : database.index(pos))
            for (const auto offset : entry.synsets)
                if (!database.synset(pos, offset))
                    throw Error(directory + "/index." + fileSuffix(pos), "\"" + entry.lemma + "\" points to synset "
                                                                             + std::to_string(offset) + ", which data."
                                                                             + fileSuffix(pos) + " does not contain");
    return database;
}

void WordNetDatabase::addSynset(Synset synset)
{
    const auto key = std::make_pair(static_cast<int>(synset.pos), synset.offset);
    synsets_[key] = std::move(synset);
}

void WordNetDatabase::addIndexEntry(IndexEntry entry)
{
    index_[static_cast<int>(entry.pos)].push_back(std::move(entry));
}

const Synset *WordNetDatabase::synset(PartOfSpeech pos, std::uint64_t offset) const
{
    const auto found = synsets_.find(std::make_pair(static_cast<int>(pos), offset));
    return found == synsets_.end() ? nullptr : &found->second;
}

const std::vector<IndexEntry> &WordNetDatabase::index(PartOfSpeech pos) const
{
    static const std::vector<IndexEntry> kEmpty;
    const auto found = index_.find(static_cast<int>(pos));
    return found == index_.end() ? kEmpty : found->second;
}

std::size_t WordNetDatabase::synsetCount() const
{
    return synsets_.size();
}

std::vector<const Synset *> WordNetDatabase::synsets() const
{
    std::vector<const Synset *> all;
    all.reserve(synsets_.size());
    for (const auto &entry : synsets_)
        all.push_back(&entry.second);
    return all;
}

} // namespace lwb::lexicon
