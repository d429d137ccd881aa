// The lexicon suite builder: WordNet and FreeDict parsing on hand-written
// fixtures in the real formats (tests/fixtures/lexicon), the tasks drawn from
// them, split disjointness and ratios, byte-identical rebuilds, clear errors
// for missing packages and malformed lines, and a build from the installed
// Debian packages (skipped, naming the package, where they are absent).
#include "engine/core/error.h"
#include "engine/data/lexicon/lexicon_builder.h"
#include "engine/data/lexicon/pretrain_text.h"

#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

using namespace lwb::lexicon;

namespace {

std::string fixtureDir(const char *name)
{
    const char *root = std::getenv("LWB_SOURCE_DIR");
    return std::string(root ? root : ".") + "/tests/fixtures/lexicon/" + name;
}

std::string readAll(const std::string &path)
{
    std::ifstream file(path, std::ios::binary);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

// Runs `call` and returns the Error it throws; fails the test when it throws none.
template <typename Call> lwb::Error errorOf(Call call)
{
    try {
        call();
    } catch (const lwb::Error &error) {
        return error;
    }
    return lwb::Error("", "<no error thrown>");
}

// prompt -> completion of one task
std::map<std::string, std::string> byPrompt(const std::vector<LexiconExample> &examples, const std::string &task)
{
    std::map<std::string, std::string> found;
    for (const auto &example : examples)
        if (example.task == task)
            found[example.prompt] = example.completion;
    return found;
}

// The input of a "<task>: <input>\n" prompt, which names the headword.
std::string inputOf(const std::string &prompt)
{
    const auto colon = prompt.find(": ");
    return prompt.substr(colon + 2, prompt.size() - colon - 3);
}

// Checks the three files of a build: valid JSON lines with exactly the three
// keys, and no prompt input of a task in two splits. Returns the examples per split.
std::array<std::vector<LexiconExample>, 3> checkBuiltFiles(const std::string &dir)
{
    std::array<std::vector<LexiconExample>, 3> files;
    std::map<std::pair<std::string, std::string>, int> splitOfInput; // (task, headword) -> split
    for (int split = 0; split < 3; ++split) {
        std::ifstream file(dir + "/" + splitName(static_cast<Split>(split)) + ".jsonl");
        std::string line;
        while (std::getline(file, line)) {
            const auto json = nlohmann::json::parse(line);
            if (json.size() != 3 || !json["prompt"].is_string() || !json["completion"].is_string()
                || !json["task"].is_string())
                throw std::runtime_error("bad line: " + line);
            LexiconExample example{json["task"], "", json["prompt"], json["completion"]};
            // The headword: the input without a "(part of speech)" suffix, lower-cased.
            auto headword = inputOf(example.prompt);
            if (const auto paren = headword.rfind(" ("); paren != std::string::npos && headword.back() == ')')
                headword = headword.substr(0, paren);
            for (auto &c : headword)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            const auto key = std::make_pair(example.task, headword);
            const auto [at, inserted] = splitOfInput.emplace(key, split);
            if (!inserted && at->second != split)
                throw std::runtime_error("\"" + headword + "\" of " + example.task + " is in two splits");
            files[static_cast<std::size_t>(split)].push_back(std::move(example));
        }
    }
    return files;
}

} // namespace

class TestLexicon : public QObject
{
    Q_OBJECT

private slots:
    void parsesDataLines()
    {
        const auto synset = parseDataLine(
            "00001740 29 v 04 breathe 0 take_a_breath 0 respire 0 suspire 3 003 * 00005041 v 0000 + 03110323 a 0301 "
            "$ 00002325 v 0000 02 + 02 00 + 08 00 | draw air into, and expel out of, the lungs; \"I can breathe better "
            "when the air is clean\"; \"The patient is respiring\"  ",
            PartOfSpeech::Verb, "data.verb:30");
        QCOMPARE(synset.offset, std::uint64_t{1740});
        QCOMPARE(synset.words, (std::vector<std::string>{"breathe", "take a breath", "respire", "suspire"}));
        QCOMPARE(synset.pointers.size(), std::size_t{3});
        QCOMPARE(synset.pointers[1].symbol, std::string("+"));
        QCOMPARE(synset.pointers[1].targetOffset, std::uint64_t{3110323});
        QVERIFY(synset.pointers[1].targetPos == PartOfSpeech::Adjective);
        QCOMPARE(synset.pointers[1].sourceWord, 3);
        QCOMPARE(synset.pointers[1].targetWord, 1);
        QCOMPARE(synset.definition, std::string("draw air into, and expel out of, the lungs"));
        QCOMPARE(synset.examples,
                 (std::vector<std::string>{"I can breathe better when the air is clean", "The patient is respiring"}));

        // Hexadecimal word count (0c = 12 is not needed here; 0a = 10 is) and adjective markers.
        const auto adjective
            = parseDataLine("00000010 00 s 0a a(p) 0 b 0 c 0 d 0 e 0 f 0 g 0 h 0 i 0 galore(ip) 0 000 | many  ",
                            PartOfSpeech::Adjective, "data.adj:3");
        QCOMPARE(adjective.words.size(), std::size_t{10});
        QCOMPARE(adjective.words.front(), std::string("a"));
        QCOMPARE(adjective.words.back(), std::string("galore"));
        QVERIFY(adjective.examples.empty());
    }

    void reportsMalformedDataLines()
    {
        const auto noGloss
            = errorOf([] { parseDataLine("00000010 00 n 01 dog 0 000", PartOfSpeech::Noun, "data.noun:7"); });
        QCOMPARE(noGloss.where(), std::string("data.noun:7"));
        QVERIFY(noGloss.reason().find("gloss") != std::string::npos);

        const auto badCount
            = errorOf([] { parseDataLine("00000010 00 n 0g dog 0 000 | x", PartOfSpeech::Noun, "data.noun:8"); });
        QVERIFY(badCount.reason().find("w_cnt") != std::string::npos);
        QVERIFY(badCount.reason().find("hexadecimal") != std::string::npos);

        const auto shortPointers = errorOf([] {
            parseDataLine("00000010 00 n 01 dog 0 002 @ 00000020 n 0000 | x", PartOfSpeech::Noun, "data.noun:9");
        });
        QVERIFY(shortPointers.reason().find("line ends before pointer_symbol") != std::string::npos);

        const auto wrongFile
            = errorOf([] { parseDataLine("00000010 00 v 01 run 0 000 | x", PartOfSpeech::Noun, "data.noun:10"); });
        QVERIFY(wrongFile.reason().find("data.noun") != std::string::npos);

        const auto badSource = errorOf([] {
            parseDataLine("00000010 00 n 01 dog 0 001 ! 00000020 n 0201 | x", PartOfSpeech::Noun, "data.noun:11");
        });
        QVERIFY(badSource.reason().find("source word 2") != std::string::npos);
    }

    void parsesIndexLines()
    {
        const auto entry = parseIndexLine("good a 3 2 ! & 3 2 01123148 00106020 01129977  ", "index.adj:40");
        QCOMPARE(entry.lemma, std::string("good"));
        QVERIFY(entry.pos == PartOfSpeech::Adjective);
        QCOMPARE(entry.taggedSenses, std::int64_t{2});
        QCOMPARE(entry.synsets, (std::vector<std::uint64_t>{1123148, 106020, 1129977}));
        QCOMPARE(parseIndexLine("physical_entity n 1 1 @ 1 0 00001930", "i:1").lemma, std::string("physical entity"));

        const auto tooFew = errorOf([] { parseIndexLine("good a 3 0 3 2 01123148", "index.adj:41"); });
        QCOMPARE(tooFew.where(), std::string("index.adj:41"));
        QVERIFY(tooFew.reason().find("synset_offset") != std::string::npos);
        const auto extra = errorOf([] { parseIndexLine("good a 1 0 1 0 01123148 99", "index.adj:42"); });
        QVERIFY(extra.reason().find("unexpected text") != std::string::npos);
    }

    void buildsWordNetTasksFromTheFixture()
    {
        const auto database = WordNetDatabase::load(fixtureDir("wordnet"));
        QCOMPARE(database.synsetCount(), std::size_t{15});
        const auto examples = wordnetExamples(database);

        const auto define = byPrompt(examples, "define");
        QCOMPARE(define.at("define: dog (noun)\n"), std::string("a member of the genus Canis"));
        QCOMPARE(define.at("define: house (noun)\n"),
                 std::string("a dwelling that serves as living quarters for one or more families"));
        QCOMPARE(define.at("define: galore (adjective)\n"), std::string("in great numbers"));
        QCOMPARE(define.at("define: run (verb)\n"),
                 std::string("move fast by using one's feet, with one foot off the ground at any given time"));

        const auto synonym = byPrompt(examples, "synonym");
        QCOMPARE(synonym.at("synonym: dog (noun)\n"), std::string("domestic dog"));
        QCOMPARE(synonym.at("synonym: canid (noun)\n"), std::string("canine"));
        QCOMPARE(synonym.at("synonym: speed (verb)\n"), std::string("travel rapidly"));
        QVERIFY(synonym.count("synonym: house (noun)\n") == 0); // a one-word synset has none

        const auto antonym = byPrompt(examples, "antonym");
        QCOMPARE(antonym.at("antonym: good (adjective)\n"), std::string("bad"));
        QCOMPARE(antonym.at("antonym: bad (adjective)\n"), std::string("good"));
        QCOMPARE(antonym.at("antonym: good (noun)\n"), std::string("evil"));
        QCOMPARE(antonym.size(), std::size_t{4});

        const auto hypernym = byPrompt(examples, "hypernym");
        QCOMPARE(hypernym.at("hypernym: dog (noun)\n"), std::string("canine"));
        QCOMPARE(hypernym.at("hypernym: run (verb)\n"), std::string("travel rapidly"));
        // An instance reaches its class through "@i"; the prompt keeps the synset's capitals.
        QCOMPARE(hypernym.at("hypernym: Alfred Binet (noun)\n"), std::string("psychologist"));
        QVERIFY(hypernym.count("hypernym: entity (noun)\n") == 0); // the root has none

        const auto pos = byPrompt(examples, "pos");
        QCOMPARE(pos.at("pos: good\n"), std::string("adjective")); // 20 tagged senses against the noun's 10
        QCOMPARE(pos.at("pos: run\n"), std::string("verb"));
        QCOMPARE(pos.at("pos: quickly\n"), std::string("adverb"));
        QCOMPARE(pos.at("pos: alfred binet\n"), std::string("noun"));
    }

    void namesTheMissingWordNetFileAndPackage()
    {
        QTemporaryDir empty;
        const auto error = errorOf([&] { WordNetDatabase::load(empty.path().toStdString()); });
        QVERIFY(error.where().find("data.noun") != std::string::npos);
        QVERIFY(error.reason().find("wordnet-base") != std::string::npos);
    }

    void decodesDictdNumbersAndIndexLines()
    {
        QCOMPARE(decodeDictNumber("A", "x"), std::uint64_t{0});
        QCOMPARE(decodeDictNumber("/", "x"), std::uint64_t{63});
        QCOMPARE(decodeDictNumber("BA", "x"), std::uint64_t{64});
        QCOMPARE(decodeDictNumber("BAK3S", "x"), std::uint64_t{16821714});
        const auto line = parseDictIndexLine("house\tvXI\tU", "eng-fra.index:9");
        QCOMPARE(line.headword, std::string("house"));
        QCOMPARE(line.offset, std::uint64_t{47 * 64 * 64 + 23 * 64 + 8});
        QCOMPARE(line.length, std::uint64_t{20});
        QVERIFY(errorOf([] { decodeDictNumber("ab=", "i:1"); }).reason().find("'='") != std::string::npos);
        const auto twoFields = errorOf([] { parseDictIndexLine("house\tvXI", "eng-fra.index:9"); });
        QCOMPARE(twoFields.where(), std::string("eng-fra.index:9"));
        QVERIFY(twoFields.reason().find("three tab-separated fields") != std::string::npos);
    }

    void parsesDictEntries()
    {
        DictEntry numbered;
        QVERIFY(parseDictEntry("run /rʌn/\n1. fonctionner\n2. fuite\n3. s'élancer, se précipiter\n", numbered));
        QCOMPARE(numbered.headword, std::string("run"));
        QCOMPARE(numbered.pronunciation, std::string("rʌn"));
        QCOMPARE(numbered.translation, std::string("fonctionner"));
        QCOMPARE(numbered.exampleCount, std::int64_t{0});

        DictEntry annotated;
        QVERIFY(
            parseDictEntry("run /ɹˈʌn/ (ran /ɹˈan/ <>, run /ɹˈʌn/ <>) <v>\nlaufen <v, intr>\n      \"he/she runs\"  - "
                           "er/sie läuft\n      \"run for the bus\"  - zum Bus laufen\n see: {running}\n\n",
                           annotated));
        QCOMPARE(annotated.translation, std::string("laufen"));
        QCOMPARE(annotated.exampleCount, std::int64_t{2});

        DictEntry bracketed;
        QVERIFY(parseDictEntry("dog /dˈɒɡ/\n [Am.] Hund <masc> [zool.]\n", bracketed));
        QCOMPARE(bracketed.translation, std::string("Hund"));

        DictEntry empty;
        QVERIFY(!parseDictEntry("dog /dˈɒɡ/\n", empty));
    }

    void buildsTranslationTasksFromTheFixture()
    {
        const auto deu = FreeDictDictionary::load(fixtureDir("dictd"), "freedict-eng-deu"); // gzip-compressed
        const auto translations = byPrompt(translationExamples(deu, "translate-de"), "translate-de");
        // house: the entry with usage examples beats the one listed first; run likewise.
        QCOMPARE(translations.at("translate-de: house\n"), std::string("Haus"));
        QCOMPARE(translations.at("translate-de: run\n"), std::string("laufen"));
        QCOMPARE(translations.at("translate-de: dog\n"), std::string("Hund"));
        QCOMPARE(translations.size(), std::size_t{3}); // not "and a half", not "Dog", not the metadata

        const auto spa = FreeDictDictionary::load(fixtureDir("dictd"), "freedict-eng-spa"); // plain .dict
        // Phrases indexed under their first word have longer pronunciations: the shortest wins.
        QCOMPARE(byPrompt(translationExamples(spa, "translate-es"), "translate-es").at("translate-es: good\n"),
                 std::string("bueno"));
        const auto fra = FreeDictDictionary::load(fixtureDir("dictd"), "freedict-eng-fra");
        QCOMPARE(fra.entries().size(), std::size_t{3});
        QCOMPARE(byPrompt(translationExamples(fra, "translate-fr"), "translate-fr").at("translate-fr: good\n"),
                 std::string("bon"));
    }

    void reportsBadDictionaries()
    {
        QTemporaryDir empty;
        const auto missing = errorOf([&] { FreeDictDictionary::load(empty.path().toStdString(), "freedict-eng-ita"); });
        QVERIFY(missing.where().find("freedict-eng-ita.index") != std::string::npos);
        QVERIFY(missing.reason().find("dict-freedict-eng-ita") != std::string::npos);

        const auto beyond
            = errorOf([] { FreeDictDictionary::fromText("house\tA\tBA\n", "house /haus/\nmaison\n", "x.index"); });
        QCOMPARE(beyond.where(), std::string("x.index:1"));
        QVERIFY(beyond.reason().find("beyond the end") != std::string::npos);

        // A truncated dictzip file: the gzip stream ends early.
        const auto whole = readAll(fixtureDir("dictd") + "/freedict-eng-deu.dict.dz");
        const auto cut = empty.path().toStdString() + "/cut.dict.dz";
        std::ofstream(cut, std::ios::binary) << whole.substr(0, whole.size() / 2);
        const auto truncated = errorOf([&] { readGzipFile(cut); });
        QCOMPARE(truncated.where(), cut);
        QVERIFY(truncated.reason().find("gzip") != std::string::npos);
    }

    void splitsKeepEachHeadwordOnOneSide()
    {
        std::vector<LexiconExample> examples;
        for (int i = 0; i < 20000; ++i) {
            const auto word = "w" + std::to_string(i);
            examples.push_back({"alpha", word, "alpha: " + word + "\n", "a"});
            examples.push_back({"beta", word, "beta: " + word + " (noun)\n", "b"});
            if (i % 2 == 0)
                examples.push_back({"beta", word, "beta: " + word + " (verb)\n", "c"});
        }
        const auto splits = splitExamples(examples, 7, 0);
        std::map<std::string, int> sideOf;
        for (int split = 0; split < 3; ++split)
            for (const auto &example : splits.examples[static_cast<std::size_t>(split)]) {
                const auto [at, inserted] = sideOf.emplace(example.headword, split);
                QVERIFY2(inserted || at->second == split, example.headword.c_str());
            }
        // 80/10/10 within a few standard deviations (sd of the train share: 0.4 %).
        const auto &alpha = splits.counts.at("alpha");
        QCOMPARE(alpha[0] + alpha[1] + alpha[2], std::int64_t{20000});
        QVERIFY(std::abs(alpha[0] / 20000.0 - 0.8) < 0.015);
        QVERIFY(std::abs(alpha[1] / 20000.0 - 0.1) < 0.015);
        QCOMPARE(splits.counts.at("beta")[0] + splits.counts.at("beta")[1] + splits.counts.at("beta")[2],
                 std::int64_t{30000});

        // The same seed gives the same files; another seed moves words and the order.
        const auto again = splitExamples(examples, 7, 0);
        const auto other = splitExamples(examples, 8, 0);
        for (int split = 0; split < 3; ++split) {
            const auto &a = splits.examples[static_cast<std::size_t>(split)];
            const auto &b = again.examples[static_cast<std::size_t>(split)];
            QCOMPARE(a.size(), b.size());
            for (std::size_t i = 0; i < a.size(); ++i)
                QCOMPARE(a[i].prompt, b[i].prompt);
        }
        QVERIFY(other.counts.at("alpha") != alpha);

        // A cap keeps exactly N per task, still split by headword.
        const auto capped = splitExamples(examples, 7, 1000);
        for (const auto &[task, count] : capped.counts)
            QCOMPARE(count[0] + count[1] + count[2], std::int64_t{1000});
        for (int split = 0; split < 3; ++split)
            for (const auto &example : capped.examples[static_cast<std::size_t>(split)])
                QCOMPARE(static_cast<int>(splitOf(example.headword, 7)), split);
    }

    void buildIsDeterministicAndComplete()
    {
        QTemporaryDir first, second;
        LexiconBuildOptions options;
        options.wordnetDir = fixtureDir("wordnet");
        options.dictdDir = fixtureDir("dictd");
        options.outDir = first.path().toStdString() + "/out";
        const auto splits = buildLexicon(options);
        options.outDir = second.path().toStdString() + "/out";
        buildLexicon(options);
        for (const char *name : {"train", "eval", "test", "pretrain_train", "pretrain_eval", "pretrain_test"}) {
            const auto a = readAll(first.path().toStdString() + "/out/" + name + ".jsonl");
            QCOMPARE(a, readAll(second.path().toStdString() + "/out/" + name + ".jsonl"));
        }
        // Every pretraining line is a {"text"} object; the counts add up.
        std::int64_t textLines = 0;
        for (const char *name : {"pretrain_train", "pretrain_eval", "pretrain_test"}) {
            std::istringstream lines(readAll(first.path().toStdString() + "/out/" + name + ".jsonl"));
            for (std::string line; std::getline(lines, line); ++textLines)
                QVERIFY(nlohmann::json::parse(line).at("text").is_string());
        }
        QVERIFY(textLines > 0);
        QCOMPARE(textLines, splits.pretrainTexts[0] + splits.pretrainTexts[1] + splits.pretrainTexts[2]);
        const auto files = checkBuiltFiles(first.path().toStdString() + "/out");
        std::size_t total = 0;
        for (const auto &file : files)
            total += file.size();
        std::int64_t counted = 0;
        for (const auto &[task, count] : splits.counts)
            counted += count[0] + count[1] + count[2];
        QCOMPARE(static_cast<std::int64_t>(total), counted);
        for (const char *task : {"define", "synonym", "antonym", "hypernym", "pos", "translate-de", "translate-fr",
                                 "translate-es", "translate-it"})
            QVERIFY2(splits.counts.count(task) == 1, task);
        std::ostringstream table;
        printCounts(splits, table);
        QVERIFY(table.str().find("translate-it") != std::string::npos);
    }

    void pretrainTextKeepsEachGlossInItsWordsSplit()
    {
        Synset car;
        car.offset = 10;
        car.words = {"car", "auto"};
        car.definition = "a motor vehicle";
        car.examples = {"he needs a car"};
        QCOMPARE(synsetText(car), std::string("car, auto (noun): a motor vehicle; \"he needs a car\""));

        // Words chosen by their split under seed 0: a synset of one split's
        // words goes there; one whose words straddle splits goes nowhere.
        std::map<Split, std::vector<std::string>> wordsOf;
        for (int i = 0; i < 200; ++i) {
            const auto word = "word" + std::to_string(i);
            wordsOf[splitOf(word, 0)].push_back(word);
        }
        QVERIFY(wordsOf[Split::Train].size() >= 2 && !wordsOf[Split::Eval].empty() && !wordsOf[Split::Test].empty());
        WordNetDatabase database;
        const auto add = [&](std::uint64_t offset, std::vector<std::string> words, const std::string &gloss) {
            Synset synset;
            synset.offset = offset;
            synset.words = std::move(words);
            synset.definition = gloss;
            database.addSynset(synset);
        };
        // Capitals are split as the lower-case headword the tasks use.
        std::string capitalised = wordsOf[Split::Train][1];
        capitalised[0] = 'W';
        add(1, {wordsOf[Split::Train][0], capitalised}, "train gloss");
        add(2, {wordsOf[Split::Eval][0]}, "eval gloss");
        add(3, {wordsOf[Split::Test][0]}, "test gloss");
        add(4, {wordsOf[Split::Train][0], wordsOf[Split::Test][0]}, "straddling gloss");
        add(5, {wordsOf[Split::Train][0]}, ""); // no definition: no text
        const auto texts = pretrainTexts(database, 0);
        QCOMPARE(texts[0],
                 std::vector<std::string>({wordsOf[Split::Train][0] + ", " + capitalised + " (noun): train gloss"}));
        QCOMPARE(texts[1], std::vector<std::string>({wordsOf[Split::Eval][0] + " (noun): eval gloss"}));
        QCOMPARE(texts[2], std::vector<std::string>({wordsOf[Split::Test][0] + " (noun): test gloss"}));
    }

    void buildNamesEveryMissingPackage()
    {
        QTemporaryDir empty;
        LexiconBuildOptions options;
        options.wordnetDir = empty.path().toStdString() + "/wordnet";
        options.dictdDir = fixtureDir("dictd");
        options.outDir = empty.path().toStdString() + "/out";
        auto error = errorOf([&] { buildLexicon(options); });
        QVERIFY(error.reason().find("wordnet/data.noun (Debian package wordnet-base)") != std::string::npos);
        QVERIFY(error.reason().find("dict-freedict") == std::string::npos);
        options.wordnetDir = fixtureDir("wordnet");
        options.dictdDir = empty.path().toStdString();
        error = errorOf([&] { buildLexicon(options); });
        for (const char *package :
             {"dict-freedict-eng-deu", "dict-freedict-eng-fra", "dict-freedict-eng-spa", "dict-freedict-eng-ita"})
            QVERIFY2(error.reason().find(package) != std::string::npos, package);
        QVERIFY(!std::filesystem::exists(options.outDir));
    }

    // The real suite from Debian's packages: counts printed, every task in
    // every split, no headword across splits, and a few answers checked.
    void buildsFromTheInstalledPackages()
    {
        for (const auto &[path, package] : std::vector<std::pair<std::string, std::string>>{
                 {"/usr/share/wordnet/data.noun", "wordnet-base"},
                 {"/usr/share/dictd/freedict-eng-deu.index", "dict-freedict-eng-deu"},
                 {"/usr/share/dictd/freedict-eng-fra.index", "dict-freedict-eng-fra"},
                 {"/usr/share/dictd/freedict-eng-spa.index", "dict-freedict-eng-spa"},
                 {"/usr/share/dictd/freedict-eng-ita.index", "dict-freedict-eng-ita"}})
            if (!std::filesystem::exists(path))
                QSKIP(("the Debian package " + package + " is not installed (" + path + ")").c_str());
        QTemporaryDir out;
        LexiconBuildOptions options;
        options.outDir = out.path().toStdString();
        const auto splits = buildLexicon(options);
        printCounts(splits, std::cout);
        for (const auto &task : wordnetTaskNames())
            for (int split = 0; split < 3; ++split)
                QVERIFY2(splits.counts.at(task)[static_cast<std::size_t>(split)] > 100, task.c_str());
        for (const auto &[task, name] : translationTasks())
            for (int split = 0; split < 3; ++split)
                QVERIFY2(splits.counts.at(task)[static_cast<std::size_t>(split)] > 100, task.c_str());

        const auto files = checkBuiltFiles(options.outDir);
        std::map<std::string, std::string> all;
        for (const auto &file : files)
            for (const auto &example : file)
                all[example.prompt] = example.completion;
        QCOMPARE(all.at("antonym: good (adjective)\n"), std::string("bad"));
        QCOMPARE(all.at("pos: quickly\n"), std::string("adverb"));
        QCOMPARE(all.at("hypernym: dog (noun)\n"), std::string("canine"));
        QCOMPARE(all.at("translate-fr: house\n"), std::string("maison"));
        QCOMPARE(all.at("translate-de: house\n"), std::string("Haus"));
        QCOMPARE(all.at("translate-es: house\n"), std::string("casa"));
        QCOMPARE(all.at("translate-it: house\n"), std::string("casa"));
    }
};

QTEST_GUILESS_MAIN(TestLexicon)
#include "test_lexicon.moc"
