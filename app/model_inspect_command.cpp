// See model_inspect_command.h. Wiring only: MODEL -> inspectModel -> text or JSON.
#include "app/model_inspect_command.h"

#include "app/command_line.h"

#include "engine/core/error.h"
#include "engine/model/model_inspection.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <ostream>

namespace lwb::cli {

namespace {

// Origins name files inside the model folder; the folder is printed once.
std::string relative(std::string text, const std::string &folder)
{
    const std::string prefix = folder + "/";
    for (auto at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at))
        text.erase(at, prefix.size());
    return text;
}

std::string withThousands(std::int64_t value)
{
    auto digits = std::to_string(value);
    for (auto at = static_cast<std::ptrdiff_t>(digits.size()) - 3; at > 0; at -= 3)
        digits.insert(static_cast<std::size_t>(at), ",");
    return digits;
}

std::string idText(const std::optional<std::int64_t> &id)
{
    return id ? std::to_string(*id) : std::string("not in the vocabulary");
}

void printToken(std::ostream &out, const char *role, const std::optional<ResolvedSpecialToken> &token,
                const std::string &folder)
{
    out << "  " << role << "  ";
    if (!token) {
        out << "none\n";
        return;
    }
    out << nlohmann::json(token->content).dump() << " = " << idText(token->id) << "   ("
        << relative(token->origin, folder) << ")\n";
}

std::string joined(const std::vector<std::string> &names)
{
    std::string text;
    for (const auto &name : names)
        text += (text.empty() ? "" : ", ") + name;
    return text;
}

void printText(std::ostream &out, const ModelInspection &model)
{
    const auto &tokens = model.specialTokens;
    out << "model           " << model.requested << '\n';
    if (model.folder != model.requested)
        out << "folder          " << model.folder << '\n';
    out << "architecture    " << model.modelType << " (the " << model.family << " decoder family)\n"
        << "parameters      " << withThousands(model.parameters) << '\n'
        << "dtype           " << model.dtypeSummary() << '\n'
        << "vocab size      " << model.modelVocabSize << " (model), " << model.tokenizerVocabSize << " (tokenizer)\n"
        << "positions       " << model.maxPositions << '\n'
        << "tokenizer       " << model.tokenizerKind
        << (model.tokenizerFile.empty() ? "" : ", " + relative(model.tokenizerFile, model.folder)) << '\n'
        << "  class         " << tokens.tokenizerClass << "   (" << relative(tokens.tokenizerClassOrigin, model.folder)
        << ")\n";
    out << "special tokens\n";
    printToken(out, "bos", tokens.bos, model.folder);
    printToken(out, "eos", tokens.eos, model.folder);
    printToken(out, "pad", tokens.pad, model.folder);
    printToken(out, "unk", tokens.unk, model.folder);
    std::string stops;
    for (const auto id : tokens.stopIds)
        stops += (stops.empty() ? "" : ", ") + std::to_string(id);
    out << "  stop ids  " << (stops.empty() ? "none" : stops)
        << (tokens.stopIdsOrigin.empty() ? "" : "   (" + relative(tokens.stopIdsOrigin, model.folder) + ")") << '\n'
        << "  end token " << (tokens.endTokenId ? std::to_string(*tokens.endTokenId) : std::string("none"))
        << (tokens.endTokenId ? "   (appended to answers in training)" : "   (" + tokens.missingEndTokenMessage() + ")")
        << '\n'
        << "  sequences start with BOS: " << (model.prependsBos ? "yes" : "no") << '\n'
        << "chat template   "
        << (model.hasChatTemplate ? "yes (" + relative(model.chatTemplateOrigin, model.folder) + ")"
                                  : std::string("no"))
        << '\n'
        << "target modules  " << joined(model.targetModules) << '\n';
}

} // namespace

void addInspectCommand(CLI::App &lorawb, CommandIo &io)
{
    struct InspectArguments
    {
        std::string model;
        bool json = false;
    };
    auto args = std::make_shared<InspectArguments>();
    auto *command = addCommand(
        lorawb, "inspect",
        "architecture, parameters, dtype, tokenizer, special tokens and their files, chat template, target module "
        "names");
    command->add_option("MODEL", args->model, "a folder, models--ORG--NAME (or its snapshots/HASH), builtin:NAME")
        ->required();
    command->add_flag("--json", args->json, "print JSON (the keys: app/README.md)");
    command->callback([args, &io] {
        const auto inspection = inspectModel(args->model);
        if (args->json)
            io.out << inspectionToJson(inspection).dump(2) << '\n';
        else
            printText(io.out, inspection);
        io.status = 0;
    });
}

} // namespace lwb::cli
