// See data_command.h. Wiring only: options -> LexiconBuildOptions -> buildLexicon.
#include "app/data_command.h"

#include "app/command_line.h"

#include "engine/data/lexicon/lexicon_builder.h"

#include <CLI/CLI.hpp>

#include <memory>
#include <ostream>

namespace lwb::cli {

void addDataCommand(CLI::App &lorawb, CommandIo &io)
{
    auto *data = addCommand(lorawb, "data", "build datasets");
    data->require_subcommand(1);

    auto options = std::make_shared<lexicon::LexiconBuildOptions>();
    auto *build = addCommand(
        *data, "build-lexicon",
        "Builds the lexicon suite (define, synonym, antonym, hypernym, pos from WordNet;\n"
        "translate-de/fr/es/it from FreeDict) into DIR/{train,eval,test}.jsonl, and WordNet's glosses as\n"
        "pretraining text into DIR/pretrain_{train,eval,test}.jsonl ({\"text\"} lines; what `lorawb pretrain`\n"
        "reads). Needs the Debian packages wordnet-base and dict-freedict-eng-deu, -fra, -spa, -ita.");
    build->add_option("--out", options->outDir, "the folder written")->type_name("DIR")->capture_default_str();
    build->add_option("--max-per-task", options->maxPerTask, "cap on each task's examples (0 = all)")
        ->check(wholeNumber(0, std::int64_t{1} << 40))
        ->capture_default_str();
    build->add_option("--seed", options->seed, "changes the split and the order")
        ->check(wholeNumber(0, std::int64_t{1} << 53))
        ->capture_default_str();
    build->add_option("--wordnet-dir", options->wordnetDir, "WordNet's dict folder")
        ->type_name("DIR")
        ->capture_default_str();
    build->add_option("--dictd-dir", options->dictdDir, "FreeDict's dictd folder")
        ->type_name("DIR")
        ->capture_default_str();
    build->callback([options, &io] {
        const auto splits = lexicon::buildLexicon(*options);
        lexicon::printCounts(splits, io.out);
        io.out << "wrote " << options->outDir << "/{train,eval,test}.jsonl and " << options->outDir
               << "/pretrain_{train,eval,test}.jsonl (seed " << options->seed << ")\n";
        io.status = 0;
    });
}

} // namespace lwb::cli
