// See dlp_selection.h.
#include "engine/adapters/dlp_selection.h"

#include "engine/core/error.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace lwb {

DlpSelectionOptions selectionOptions(const std::string &rule, double p, std::int64_t k, const std::string &weights,
                                     const std::string &topPAtEqual)
{
    DlpSelectionOptions options;
    if (rule != "top_p" && rule != "top_k")
        throw Error("selection.rule", "\"" + rule + "\" is not \"top_p\" or \"top_k\"");
    if (weights != "reference" && weights != "softmax" && weights != "renormalize")
        throw Error("selection.weights", "\"" + weights + "\" is not \"reference\", \"softmax\" or \"renormalize\"");
    if (topPAtEqual != "keep_next" && topPAtEqual != "stop")
        throw Error("selection.top_p_at_equal", "\"" + topPAtEqual + "\" is not \"keep_next\" or \"stop\"");
    if (!(p > 0.0 && p <= 1.0))
        throw Error("selection.p", "must be > 0 and <= 1, got " + std::to_string(p));
    if (k < 1)
        throw Error("selection.k", "must be at least 1, got " + std::to_string(k));
    options.rule = rule == "top_p" ? DlpRule::TopP : DlpRule::TopK;
    options.p = p;
    options.k = k;
    options.weighting = weights == "reference" ? DlpWeighting::Reference
                        : weights == "softmax" ? DlpWeighting::Softmax
                                               : DlpWeighting::Renormalize;
    options.atEqual = topPAtEqual == "keep_next" ? TopPAtEqual::KeepNext : TopPAtEqual::StopAt;
    return options;
}

DlpSelection selectTasks(const std::vector<double> &probabilities, const DlpSelectionOptions &options)
{
    const auto n = probabilities.size();
    if (n == 0)
        throw Error("DLP selection", "no task probabilities to select from");
    std::vector<std::int64_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::int64_t i, std::int64_t j) {
        return probabilities[static_cast<std::size_t>(i)] > probabilities[static_cast<std::size_t>(j)];
    });

    std::size_t kept = 0;
    if (options.rule == DlpRule::TopK) {
        kept = std::min<std::size_t>(n, static_cast<std::size_t>(std::max<std::int64_t>(1, options.k)));
    } else {
        // Keep item i+1 while the sum up to i is <= P (KeepNext) or < P (StopAt).
        double cumulative = 0.0;
        kept = n; // rounding never passing P: keep everything
        for (std::size_t i = 0; i < n; ++i) {
            cumulative += probabilities[static_cast<std::size_t>(order[i])];
            const bool stop
                = options.atEqual == TopPAtEqual::KeepNext ? cumulative > options.p : cumulative >= options.p;
            if (stop) {
                kept = i + 1;
                break;
            }
        }
    }

    DlpSelection selection;
    selection.selected.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(kept));
    // The reference's top_k weights are softmax(top-k logits) = the kept p renormalised.
    const bool softmaxOfProbabilities
        = options.weighting == DlpWeighting::Softmax
          || (options.weighting == DlpWeighting::Reference && options.rule == DlpRule::TopP);
    std::vector<double> raw;
    for (const auto index : selection.selected) {
        const double p = probabilities[static_cast<std::size_t>(index)];
        raw.push_back(softmaxOfProbabilities ? std::exp(p) : p);
    }
    const double total = std::accumulate(raw.begin(), raw.end(), 0.0);
    for (const double value : raw) {
        // All kept probabilities 0 (only possible when renormalising): share equally.
        selection.weights.push_back(total > 0.0 ? value / total : 1.0 / static_cast<double>(raw.size()));
    }
    return selection;
}

torch::Tensor fusionWeights(const torch::Tensor &probabilities, const DlpSelectionOptions &options)
{
    TORCH_CHECK(probabilities.dim() == 2, "fusionWeights expects [B, N] probabilities");
    const auto cpu = probabilities.detach().to(torch::kCPU, torch::kFloat64).contiguous();
    const auto rows = cpu.size(0), tasks = cpu.size(1);
    auto weights = torch::zeros({rows, tasks}, torch::kFloat64);
    const auto *p = cpu.data_ptr<double>();
    auto *w = weights.data_ptr<double>();
    for (std::int64_t b = 0; b < rows; ++b) {
        const std::vector<double> row(p + b * tasks, p + (b + 1) * tasks);
        const auto selection = selectTasks(row, options);
        for (std::size_t i = 0; i < selection.selected.size(); ++i)
            w[b * tasks + selection.selected[i]] = selection.weights[i];
    }
    return weights;
}

} // namespace lwb
