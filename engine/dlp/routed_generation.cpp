// See routed_generation.h.
#include "engine/dlp/routed_generation.h"

#include "engine/core/error.h"
#include "engine/dlp/task_lora_library.h"

#include <algorithm>
#include <functional>
#include <map>
#include <numeric>

namespace lwb {

namespace {

// Routes the contexts of some rows of a group; rows index the group's prompts.
using RouteRows = std::function<RoutingDecision(const std::vector<std::vector<std::int64_t>> &contexts,
                                                const std::vector<std::size_t> &prompts)>;

RoutedSegment segmentAt(std::int64_t start, const DlpSelection &selection)
{
    return {start, selection.selected, selection.weights};
}

// What a caller watches (RoutedGenerationOptions' callbacks; empty: nothing).
struct Watchers
{
    std::function<void(const ChosenTokens &, const std::vector<std::size_t> &rows)> onChosen;
    std::function<void(std::size_t prompt, const RoutedSegment &)> onRouted;
};

// Decoding of one group of equal-length prompts (BOS included).
void decodeGroup(CausalLMImpl &model, const FusedAdapters &adapters,
                 const std::vector<std::vector<std::int64_t>> &prompts, const std::vector<std::size_t> &members,
                 const RouteRows &route, bool perSentence, GenerationOptions options, const Watchers &watchers,
                 const SequenceFormat &format, const torch::Device &device, std::vector<RoutedGeneration> &results)
{
    const auto addSegment = [&](std::size_t prompt, RoutedSegment segment) {
        if (watchers.onRouted)
            watchers.onRouted(prompt, segment);
        results[prompt].segments.push_back(std::move(segment));
    };
    if (watchers.onChosen)
        options.onChosen = [&](const ChosenTokens &chosen) { watchers.onChosen(chosen, members); };
    const auto rows = static_cast<std::int64_t>(members.size());
    const auto length = static_cast<std::int64_t>(prompts[members.front()].size());
    std::vector<std::vector<std::int64_t>> contexts;
    std::vector<std::string> texts;
    auto ids = torch::empty({rows, length}, torch::kInt64);
    for (std::int64_t r = 0; r < rows; ++r) {
        const auto &prompt = prompts[members[static_cast<std::size_t>(r)]];
        ids[r] = torch::tensor(prompt, torch::kInt64);
        contexts.push_back(prompt);
        texts.push_back(format.answerText(prompt));
    }

    const auto first = route(contexts, members);
    auto current = first.weights.clone(); // [R, N]: each row's set for its newest position
    for (std::int64_t r = 0; r < rows; ++r)
        addSegment(members[static_cast<std::size_t>(r)], segmentAt(0, first.selections[static_cast<std::size_t>(r)]));
    // Per sentence: one set per position, [R, T, N], of which each forward
    // gets the positions it runs (with a KV cache only the newest); per
    // input: one set per row throughout.
    auto history = perSentence ? current.unsqueeze(1).expand({rows, length, current.size(1)}).clone() : current;
    setFusionWeights(adapters, history);

    const auto afterStep = [&](const GenerationStep &step) {
        for (std::int64_t r = 0; r < rows; ++r) {
            const auto row = static_cast<std::size_t>(r);
            if (!step.finished[row]) {
                contexts[row].push_back(step.tokens[row]);
                texts[row] += format.answerText({step.tokens[row]});
            }
        }
        if (!perSentence)
            return;
        // Rows whose newest token ends a sentence: the router re-reads them.
        std::vector<std::size_t> reroute;
        std::vector<std::vector<std::int64_t>> rerouteContexts;
        std::vector<std::size_t> reroutePrompts;
        for (std::int64_t r = 0; r < rows; ++r) {
            const auto row = static_cast<std::size_t>(r);
            if (!step.finished[row] && endsSentence(texts[row])) {
                reroute.push_back(row);
                rerouteContexts.push_back(contexts[row]);
                reroutePrompts.push_back(members[row]);
            }
        }
        if (!reroute.empty()) {
            const auto decision = route(rerouteContexts, reroutePrompts);
            for (std::size_t i = 0; i < reroute.size(); ++i) {
                current[static_cast<std::int64_t>(reroute[i])] = decision.weights[static_cast<std::int64_t>(i)];
                addSegment(members[reroute[i]], segmentAt(step.position, decision.selections[i]));
            }
        }
        history = torch::cat({history, current.unsqueeze(1)}, 1);
        setFusionWeights(adapters, history.narrow(1, step.forwardFrom, step.position + 1 - step.forwardFrom));
    };
    const auto generated = generate(model, ids.to(device), options, afterStep);
    for (std::int64_t r = 0; r < rows; ++r) {
        auto &result = results[members[static_cast<std::size_t>(r)]];
        const auto &sequence = generated[static_cast<std::size_t>(r)];
        result.answer = sequence.tokens;
        result.finished = sequence.finished;
        result.stopString = sequence.stopString;
        result.text = format.answerText(result.answer);
        if (!result.stopString.empty()) // generate() keeps the token that completed it; the text ends before it
            result.text = result.text.substr(0, result.text.find(result.stopString));
    }
}

std::vector<RoutedGeneration> decodeAll(CausalLMImpl &model, const FusedAdapters &adapters, const RouteRows &route,
                                        bool perSentence, const SequenceFormat &format,
                                        const std::vector<std::string> &prompts, const GenerationOptions &options,
                                        const Watchers &watchers, const torch::Device &device)
{
    if (adapters.empty())
        throw Error("DLP generation", "the model carries no fused task LoRAs (attachFusedLibrary first)");
    torch::NoGradGuard noGrad;
    const bool wasTraining = model.is_training();
    model.eval();
    std::vector<std::vector<std::int64_t>> ids;
    std::map<std::size_t, std::vector<std::size_t>> byLength;
    for (std::size_t i = 0; i < prompts.size(); ++i) {
        auto sequence = format.promptIds(prompts[i]);
        byLength[sequence.size()].push_back(i);
        ids.push_back(std::move(sequence));
    }
    std::vector<RoutedGeneration> results(prompts.size());
    for (const auto &[length, members] : byLength)
        decodeGroup(model, adapters, ids, members, route, perSentence, options, watchers, format, device, results);
    model.train(wasTraining);
    return results;
}

} // namespace

DlpGranularity granularityFromString(const std::string &name)
{
    if (name == "input")
        return DlpGranularity::Input;
    if (name == "sentence")
        return DlpGranularity::Sentence;
    throw Error("adapter.dlp.granularity", "\"" + name + "\" is not \"input\" or \"sentence\"");
}

bool endsSentence(const std::string &text)
{
    if (text.size() < 2)
        return false;
    const char mark = text[text.size() - 2], space = text.back();
    return (mark == '.' || mark == '!' || mark == '?') && (space == ' ' || space == '\n');
}

std::vector<RoutedGeneration> generateRouted(CausalLMImpl &model, const FusedAdapters &adapters, DlpRouter &router,
                                             const SequenceFormat &format, const std::vector<std::string> &prompts,
                                             const RoutedGenerationOptions &options, const torch::Device &device)
{
    const RouteRows route = [&](const std::vector<std::vector<std::int64_t>> &contexts,
                                const std::vector<std::size_t> &) { return router.route(contexts, format.padId()); };
    GenerationOptions generation;
    generation.maxNewTokens = options.maxNewTokens;
    generation.eosIds = options.eosIds.empty() ? std::vector<std::int64_t>{format.eosId()} : options.eosIds;
    generation.useKvCache = options.useKvCache;
    generation.temperature = options.sampling.temperature;
    generation.topK = options.sampling.topK;
    generation.topP = options.sampling.topP;
    generation.repetitionPenalty = options.sampling.repetitionPenalty;
    generation.stopStrings = options.stopStrings;
    if (!generation.stopStrings.empty())
        generation.detokenize = [&format](const std::vector<std::int64_t> &ids) { return format.answerText(ids); };
    return decodeAll(model, adapters, route, options.granularity == DlpGranularity::Sentence, format, prompts,
                     generation, Watchers{options.onChosen, options.onRouted}, device);
}

std::vector<RoutedGeneration> generateWithWeights(CausalLMImpl &model, const FusedAdapters &adapters,
                                                  const torch::Tensor &weights, const SequenceFormat &format,
                                                  const std::vector<std::string> &prompts, std::int64_t maxNewTokens,
                                                  const torch::Device &device)
{
    if (weights.dim() != 2 || weights.size(0) != static_cast<std::int64_t>(prompts.size()))
        throw Error("DLP generation", "fixed weights must be [prompts, tasks]");
    const auto fixed = weights.detach().to(torch::kCPU, torch::kFloat64).contiguous();
    const RouteRows route = [&](const std::vector<std::vector<std::int64_t>> &, const std::vector<std::size_t> &rows) {
        RoutingDecision decision;
        std::vector<std::int64_t> index(rows.begin(), rows.end());
        decision.weights = fixed.index_select(0, torch::tensor(index, torch::kInt64));
        decision.probabilities = decision.weights;
        for (const auto row : rows) {
            DlpSelection selection;
            const auto values = fixed[static_cast<std::int64_t>(row)];
            std::vector<std::int64_t> order(static_cast<std::size_t>(values.size(0)));
            std::iota(order.begin(), order.end(), 0);
            std::stable_sort(order.begin(), order.end(), [&](std::int64_t i, std::int64_t j) {
                return values[i].item<double>() > values[j].item<double>();
            });
            for (const auto task : order) {
                if (values[task].item<double>() != 0.0) {
                    selection.selected.push_back(task);
                    selection.weights.push_back(values[task].item<double>());
                }
            }
            decision.selections.push_back(std::move(selection));
        }
        return decision;
    };
    GenerationOptions generation;
    generation.maxNewTokens = maxNewTokens;
    generation.eosIds = {format.eosId()};
    return decodeAll(model, adapters, route, /*perSentence=*/false, format, prompts, generation, {}, device);
}

} // namespace lwb
