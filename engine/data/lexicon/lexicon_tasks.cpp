// See lexicon_tasks.h.
#include "engine/data/lexicon/lexicon_tasks.h"

#include <map>

namespace lwb::lexicon {

namespace {

bool isUsableLemma(const std::string &lemma)
{
    if (lemma.empty() || lemma[0] < 'a' || lemma[0] > 'z')
        return false;
    for (const char c : lemma)
        if (!((c >= 'a' && c <= 'z') || c == ' ' || c == '-' || c == '\'' || c == '.'))
            return false;
    return true;
}

bool isSingleLowerWord(const std::string &word)
{
    if (word.size() < 2)
        return false;
    for (const char c : word)
        if (c < 'a' || c > 'z')
            return false;
    return true;
}

// The 1-based number of `lemma` among the synset's words, 0 when absent.
int wordNumber(const Synset &synset, const std::string &lemma)
{
    for (std::size_t i = 0; i < synset.words.size(); ++i)
        if (lowerAscii(synset.words[i]) == lemma)
            return static_cast<int>(i) + 1;
    return 0;
}

LexiconExample make(const std::string &task, const std::string &headword, const std::string &input,
                    const std::string &completion)
{
    return {task, headword, task + ": " + input + "\n", completion};
}

std::string synonymOf(const Synset &synset, const std::string &lemma)
{
    for (const auto &word : synset.words)
        if (lowerAscii(word) != lemma)
            return word;
    return "";
}

std::string antonymOf(const WordNetDatabase &database, const IndexEntry &entry)
{
    for (const auto offset : entry.synsets) {
        const auto *synset = database.synset(entry.pos, offset);
        const int number = synset ? wordNumber(*synset, entry.lemma) : 0;
        if (number == 0)
            continue;
        for (const auto &pointer : synset->pointers) {
            if (pointer.symbol != "!" || (pointer.sourceWord != 0 && pointer.sourceWord != number))
                continue;
            const auto *target = database.synset(pointer.targetPos, pointer.targetOffset);
            if (!target)
                continue;
            const auto index = pointer.targetWord > 0 ? static_cast<std::size_t>(pointer.targetWord - 1) : 0;
            if (index < target->words.size())
                return target->words[index];
        }
    }
    return "";
}

std::string hypernymOf(const WordNetDatabase &database, const Synset &synset)
{
    for (const char *symbol : {"@", "@i"})
        for (const auto &pointer : synset.pointers)
            if (pointer.symbol == symbol)
                if (const auto *target = database.synset(pointer.targetPos, pointer.targetOffset))
                    return target->words.front();
    return "";
}

} // namespace

std::string lowerAscii(std::string text)
{
    for (auto &c : text)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return text;
}

std::vector<std::string> wordnetTaskNames()
{
    return {"define", "synonym", "antonym", "hypernym", "pos"};
}

std::vector<std::pair<std::string, std::string>> translationTasks()
{
    return {{"translate-de", "freedict-eng-deu"},
            {"translate-fr", "freedict-eng-fra"},
            {"translate-es", "freedict-eng-spa"},
            {"translate-it", "freedict-eng-ita"}};
}

std::vector<LexiconExample> wordnetExamples(const WordNetDatabase &database)
{
    std::vector<LexiconExample> examples;
    // pos: the best part of speech per lemma, gathered over the four index files.
    struct PosChoice
    {
        PartOfSpeech pos;
        std::int64_t tagged;
        std::size_t senses;
    };
    std::map<std::string, PosChoice> bestPos;

    for (const auto pos : allPartsOfSpeech()) {
        for (const auto &entry : database.index(pos)) {
            if (!isUsableLemma(entry.lemma) || entry.synsets.empty())
                continue;
            const auto *first = database.synset(pos, entry.synsets.front());
            if (!first)
                continue;
            // The synset's spelling keeps capitals ("Alfred Binet"); the index lemma is lower case.
            const int number = wordNumber(*first, entry.lemma);
            const auto &written = number > 0 ? first->words[static_cast<std::size_t>(number - 1)] : entry.lemma;
            const auto input = written + " (" + displayName(pos) + ")";
            if (!first->definition.empty())
                examples.push_back(make("define", entry.lemma, input, first->definition));
            if (const auto synonym = synonymOf(*first, entry.lemma); !synonym.empty())
                examples.push_back(make("synonym", entry.lemma, input, synonym));
            if (const auto antonym = antonymOf(database, entry); !antonym.empty())
                examples.push_back(make("antonym", entry.lemma, input, antonym));
            if (pos == PartOfSpeech::Noun || pos == PartOfSpeech::Verb)
                if (const auto hypernym = hypernymOf(database, *first); !hypernym.empty())
                    examples.push_back(make("hypernym", entry.lemma, input, hypernym));

            // Parts of speech arrive in the tie-break order, so only a strictly better one replaces.
            const PosChoice candidate{pos, entry.taggedSenses, entry.synsets.size()};
            const auto found = bestPos.find(entry.lemma);
            if (found == bestPos.end())
                bestPos.emplace(entry.lemma, candidate);
            else if (candidate.tagged > found->second.tagged
                     || (candidate.tagged == found->second.tagged && candidate.senses > found->second.senses))
                found->second = candidate;
        }
    }
    for (const auto &[lemma, choice] : bestPos)
        examples.push_back(make("pos", lemma, lemma, displayName(choice.pos)));
    return examples;
}

std::vector<LexiconExample> translationExamples(const FreeDictDictionary &dictionary, const std::string &task)
{
    // headword -> index of the best entry so far
    std::map<std::string, std::size_t> best;
    const auto &entries = dictionary.entries();
    const auto better = [](const DictEntry &a, const DictEntry &b) {
        if (a.exampleCount != b.exampleCount)
            return a.exampleCount > b.exampleCount;
        const auto lengthA = a.pronunciation.empty() ? std::string::npos : a.pronunciation.size();
        const auto lengthB = b.pronunciation.empty() ? std::string::npos : b.pronunciation.size();
        return lengthA < lengthB;
    };
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const auto &entry = entries[i];
        if (!isSingleLowerWord(entry.headword))
            continue;
        const auto found = best.find(entry.headword);
        if (found == best.end())
            best.emplace(entry.headword, i);
        else if (better(entry, entries[found->second]))
            found->second = i;
    }
    std::vector<LexiconExample> examples;
    for (const auto &[headword, index] : best)
        examples.push_back(make(task, headword, headword, entries[index].translation));
    return examples;
}

} // namespace lwb::lexicon
