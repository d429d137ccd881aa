// See data_command.h.
#include "app/data_command.h"

#include "engine/core/error.h"
#include "engine/data/lexicon/lexicon_builder.h"

#include <ostream>

namespace lwb::cli {

namespace {

constexpr const char *kUsage = R"(usage:
  lorawb data build-lexicon [--out DIR] [--max-per-task N] [--seed S]
                            [--wordnet-dir DIR] [--dictd-dir DIR]

Builds the lexicon suite (define, synonym, antonym, hypernym, pos from WordNet;
translate-de/fr/es/it from FreeDict) into DIR/{train,eval,test}.jsonl, and
WordNet's glosses as pretraining text into DIR/pretrain_{train,eval,test}.jsonl
({"text"} lines; what `lorawb pretrain` reads) (default DIR: lexicon). Needs the Debian packages wordnet-base and dict-freedict-eng-deu,
-fra, -spa, -ita. --max-per-task caps each task (0 = all); --seed changes the
split and the order (default 0).
)";

std::int64_t parseCount(const std::string &option, const std::string &value, std::int64_t max)
{
    std::size_t used = 0;
    long long parsed = -1;
    try {
        parsed = std::stoll(value, &used);
    } catch (const std::exception &) {
        used = 0;
    }
    if (used != value.size() || value.empty() || parsed < 0 || parsed > max)
        throw Error(option, "\"" + value + "\" is not a whole number from 0 to " + std::to_string(max));
    return parsed;
}

int buildLexiconCommand(const std::vector<std::string> &args, std::ostream &out)
{
    lexicon::LexiconBuildOptions options;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto &word = args[i];
        const auto value = [&]() -> const std::string & {
            if (i + 1 == args.size())
                throw Error(word, "expects a value");
            return args[++i];
        };
        if (word == "--out")
            options.outDir = value();
        else if (word == "--max-per-task")
            options.maxPerTask = parseCount(word, value(), std::int64_t { 1 } << 40);
        else if (word == "--seed")
            options.seed = static_cast<std::uint64_t>(parseCount(word, value(), std::int64_t { 1 } << 53));
        else if (word == "--wordnet-dir")
            options.wordnetDir = value();
        else if (word == "--dictd-dir")
            options.dictdDir = value();
        else
            throw Error(word, "unknown option of build-lexicon (see lorawb data --help)");
    }
    const auto splits = lexicon::buildLexicon(options);
    lexicon::printCounts(splits, out);
    out << "wrote " << options.outDir << "/{train,eval,test}.jsonl and " << options.outDir
        << "/pretrain_{train,eval,test}.jsonl (seed " << options.seed << ")\n";
    return 0;
}

} // namespace

int runDataCommand(const std::vector<std::string> &args, std::ostream &out, std::ostream &err)
{
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        (args.empty() ? err : out) << kUsage;
        return args.empty() ? 2 : 0;
    }
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    try {
        if (args[0] == "build-lexicon")
            return buildLexiconCommand(rest, out);
    } catch (const Error &error) {
        err << "lorawb data: " << error.what() << '\n';
        return 1;
    }
    err << "lorawb data: unknown subcommand \"" << args[0] << "\"\n" << kUsage;
    return 2;
}

} // namespace lwb::cli
