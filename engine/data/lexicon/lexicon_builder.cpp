// See lexicon_builder.h.
#include "engine/data/lexicon/lexicon_builder.h"

#include "engine/core/error.h"
#include "engine/core/seed_mix.h"
#include "engine/data/lexicon/pretrain_text.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>

namespace lwb::lexicon {

namespace {

// FNV-1a over the text from a seed-dependent basis, then SplitMix64's
// finaliser so that nearby seeds give unrelated orders. Fixed functions (not
// std::hash) so files are the same on every platform and standard library.
std::uint64_t hashOf(std::uint64_t seed, const std::string &text)
{
    return splitMix64Finalise(fnv1a64(text, kFnv1aOffsetBasis ^ (seed * kGoldenGamma)));
}

} // namespace

const char *splitName(Split split)
{
    switch (split) {
    case Split::Train:
        return "train";
    case Split::Eval:
        return "eval";
    case Split::Test:
        return "test";
    }
    return "";
}

Split splitOf(const std::string &headword, std::uint64_t seed)
{
    const auto bucket = hashOf(seed, "split\x1f" + headword) % 100;
    if (bucket < 80)
        return Split::Train;
    return bucket < 90 ? Split::Eval : Split::Test;
}

LexiconSplits splitExamples(std::vector<LexiconExample> examples, std::uint64_t seed, std::int64_t maxPerTask)
{
    // Group by task, in a fixed order (by name), each task's examples in their input order.
    std::map<std::string, std::vector<LexiconExample>> byTask;
    for (auto &example : examples)
        byTask[example.task].push_back(std::move(example));

    LexiconSplits splits;
    std::vector<std::pair<std::uint64_t, LexiconExample>> ordered[3];
    for (auto &[task, list] : byTask) {
        if (maxPerTask > 0 && static_cast<std::int64_t>(list.size()) > maxPerTask) {
            std::vector<std::pair<std::uint64_t, std::size_t>> keys;
            for (std::size_t i = 0; i < list.size(); ++i)
                keys.emplace_back(
                    hashOf(seed, "sample\x1f" + task + "\x1f" + list[i].headword + "\x1f" + list[i].prompt), i);
            std::sort(keys.begin(), keys.end());
            std::vector<LexiconExample> kept;
            for (std::int64_t i = 0; i < maxPerTask; ++i)
                kept.push_back(std::move(list[keys[static_cast<std::size_t>(i)].second]));
            list = std::move(kept);
        }
        auto &count = splits.counts[task];
        count = {0, 0, 0};
        for (auto &example : list) {
            const auto split = static_cast<int>(splitOf(example.headword, seed));
            ++count[static_cast<std::size_t>(split)];
            const auto order = hashOf(seed, "order\x1f" + task + "\x1f" + example.prompt);
            ordered[split].emplace_back(order, std::move(example));
        }
    }
    for (int split = 0; split < 3; ++split) {
        auto &list = ordered[split];
        std::stable_sort(list.begin(), list.end(), [](const auto &a, const auto &b) {
            return a.first != b.first ? a.first < b.first : a.second.prompt < b.second.prompt;
        });
        for (auto &item : list)
            splits.examples[static_cast<std::size_t>(split)].push_back(std::move(item.second));
    }
    return splits;
}

std::string toJsonLine(const LexiconExample &example)
{
    const nlohmann::json line
        = {{"prompt", example.prompt}, {"completion", example.completion}, {"task", example.task}};
    // Invalid UTF-8 in a dictionary would otherwise throw; U+FFFD keeps the line readable.
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void writeFileAtomically(const std::string &path, const std::function<void(std::ostream &)> &write)
{
    const auto temporary = path + ".tmp";
    {
        std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
        if (!file)
            throw Error(temporary, "cannot create the file (is the directory writable?)");
        write(file);
        file.flush();
        if (!file)
            throw Error(temporary, "write failed (disk full?)");
    }
    std::error_code error;
    std::filesystem::rename(temporary, path, error);
    if (error)
        throw Error(path, "cannot rename " + temporary + " into place: " + error.message());
}

void writeJsonl(const std::string &path, const std::vector<LexiconExample> &examples)
{
    writeFileAtomically(path, [&](std::ostream &file) {
        for (const auto &example : examples)
            file << toJsonLine(example) << '\n';
    });
}

LexiconSplits buildLexicon(const LexiconBuildOptions &options)
{
    // Check every source first, so one run names every missing package.
    std::vector<std::string> missing;
    const auto need = [&](const std::string &path, const std::string &package) {
        if (!std::filesystem::exists(path))
            missing.push_back(path + " (Debian package " + package + ")");
    };
    for (const auto pos : allPartsOfSpeech()) {
        need(options.wordnetDir + "/data." + fileSuffix(pos), "wordnet-base");
        need(options.wordnetDir + "/index." + fileSuffix(pos), "wordnet-base");
    }
    for (const auto &[task, name] : translationTasks()) {
        need(options.dictdDir + "/" + name + ".index", "dict-" + name);
        if (!std::filesystem::exists(options.dictdDir + "/" + name + ".dict"))
            need(options.dictdDir + "/" + name + ".dict.dz", "dict-" + name);
    }
    if (!missing.empty()) {
        std::string list;
        for (const auto &item : missing)
            list += "\n  " + item;
        throw Error("build-lexicon", "missing source files; install the packages named (apt-get install ...):" + list);
    }

    const auto wordnet = WordNetDatabase::load(options.wordnetDir);
    auto examples = wordnetExamples(wordnet);
    for (const auto &[task, name] : translationTasks()) {
        auto translated = translationExamples(FreeDictDictionary::load(options.dictdDir, name), task);
        examples.insert(examples.end(), std::make_move_iterator(translated.begin()),
                        std::make_move_iterator(translated.end()));
    }
    auto splits = splitExamples(std::move(examples), options.seed, options.maxPerTask);

    std::error_code error;
    std::filesystem::create_directories(options.outDir, error);
    if (error)
        throw Error(options.outDir, "cannot create the output directory: " + error.message());
    const auto texts = pretrainTexts(wordnet, options.seed);
    for (const auto split : {Split::Train, Split::Eval, Split::Test}) {
        const auto s = static_cast<std::size_t>(split);
        writeJsonl(options.outDir + "/" + splitName(split) + ".jsonl", splits.examples[s]);
        writeTextJsonl(options.outDir + "/pretrain_" + splitName(split) + ".jsonl", texts[s]);
        splits.pretrainTexts[s] = static_cast<std::int64_t>(texts[s].size());
    }
    return splits;
}

void printCounts(const LexiconSplits &splits, std::ostream &out)
{
    out << std::left << std::setw(14) << "task" << std::right << std::setw(9) << "train" << std::setw(9) << "eval"
        << std::setw(9) << "test" << std::setw(9) << "total" << '\n';
    std::array<std::int64_t, 3> sum{0, 0, 0};
    for (const auto &[task, count] : splits.counts) {
        out << std::left << std::setw(14) << task << std::right;
        for (std::size_t s = 0; s < 3; ++s) {
            out << std::setw(9) << count[s];
            sum[s] += count[s];
        }
        out << std::setw(9) << count[0] + count[1] + count[2] << '\n';
    }
    out << std::left << std::setw(14) << "all" << std::right;
    for (std::size_t s = 0; s < 3; ++s)
        out << std::setw(9) << sum[s];
    out << std::setw(9) << sum[0] + sum[1] + sum[2] << '\n';
    const auto &texts = splits.pretrainTexts;
    out << std::left << std::setw(14) << "pretrain text" << std::right;
    for (std::size_t s = 0; s < 3; ++s)
        out << std::setw(9) << texts[s];
    out << std::setw(9) << texts[0] + texts[1] + texts[2] << '\n';
}

} // namespace lwb::lexicon
