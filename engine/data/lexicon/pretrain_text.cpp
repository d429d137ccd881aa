// See pretrain_text.h.
#include "engine/data/lexicon/pretrain_text.h"

#include "engine/core/error.h"
#include "engine/data/lexicon/lexicon_tasks.h"

#include <nlohmann/json.hpp>

#include <optional>

namespace lwb::lexicon {

std::string synsetText(const Synset &synset)
{
    std::string text;
    for (const auto &word : synset.words)
        text += (text.empty() ? "" : ", ") + word;
    text += " (" + displayName(synset.pos) + "): " + synset.definition;
    for (const auto &example : synset.examples)
        text += "; \"" + example + "\"";
    return text;
}

std::array<std::vector<std::string>, 3> pretrainTexts(const WordNetDatabase &database, std::uint64_t seed)
{
    std::array<std::vector<std::string>, 3> texts;
    for (const auto *synset : database.synsets()) {
        if (synset->words.empty() || synset->definition.empty())
            continue;
        std::optional<Split> shared;
        bool straddles = false;
        for (const auto &word : synset->words) {
            const auto split = splitOf(lowerAscii(word), seed);
            straddles = straddles || (shared && *shared != split);
            shared = split;
        }
        if (!straddles)
            texts[static_cast<std::size_t>(*shared)].push_back(synsetText(*synset));
    }
    return texts;
}

void writeTextJsonl(const std::string &path, const std::vector<std::string> &texts)
{
    writeFileAtomically(path, [&](std::ostream &file) {
        for (const auto &text : texts)
            file << nlohmann::json{{"text", text}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                 << '\n';
    });
}

} // namespace lwb::lexicon
