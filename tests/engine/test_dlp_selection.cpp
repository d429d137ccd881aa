// DLP-LoRA's selection rule and its config section: top-p / top-k on
// hand-made distributions (one dominant task, the crossing item, ties, P = 1
// with rounding, P tiny) and against the reference code's ClassifierOutput
// written out below; the "adapter.dlp" config, its errors with their JSON
// paths, and the single-run trainer refusing a study. The fused adapter, the
// routing and the plugin are in test_dlp.cpp; the parts that run the Trainer
// (checkpoint import, the whole study) in test_dlp_study.cpp.
#include "engine/adapters/dlp_selection.h"
#include "engine/config/run_config.h"
#include "engine/train/trainer.h"
#include "error_capture.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace {

using lwb::DlpSelectionOptions;

double relativeError(const torch::Tensor &actual, const torch::Tensor &expected)
{
    return (actual - expected).norm().item<double>() / std::max(1e-300, expected.norm().item<double>());
}

DlpSelectionOptions topP(double p, lwb::DlpWeighting weighting = lwb::DlpWeighting::Softmax)
{
    DlpSelectionOptions options;
    options.p = p;
    options.weighting = weighting;
    return options;
}

// The reference code's rule, MeCuping/DLP-LoRA srcClassifier/ClassifierModel.py,
// Transformer_Classifier.ClassifierOutput (lines 22-43 of the stored copy, commit 8353bb1),
// transcribed in float64 from the logits:
//   topk: topk, idx = torch.topk(out, K); weight = softmax(topk)
//   topp: prob = softmax(out); sorted desc; cum = cumsum; mask = cum <= P;
//         mask[1:] = mask[:-1]; mask[0] = 1; weight = softmax(sorted_prob[mask])
// (its sort order among equal values is unspecified; callers use distinct
// values, or ties the rule treats the same either way).
struct ReferenceChoice
{
    std::vector<std::int64_t> indices;
    std::vector<double> weights;
};

// prob: torch.softmax(out), given by the caller (the same torch op as ours).
ReferenceChoice referenceClassifierOutput(const std::vector<double> &logits, const std::vector<double> &prob, bool topK,
                                          double kOrP)
{
    const auto n = logits.size();
    std::vector<std::int64_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::int64_t i, std::int64_t j) {
        return logits[static_cast<std::size_t>(i)] > logits[static_cast<std::size_t>(j)];
    });
    const auto softmax = [](const std::vector<double> &v) {
        const double top = *std::max_element(v.begin(), v.end());
        std::vector<double> out;
        double total = 0.0;
        for (double x : v)
            total += std::exp(x - top);
        for (double x : v)
            out.push_back(std::exp(x - top) / total);
        return out;
    };
    ReferenceChoice choice;
    if (topK) {
        std::vector<double> top;
        for (std::size_t i = 0; i < static_cast<std::size_t>(kOrP); ++i) {
            choice.indices.push_back(order[i]);
            top.push_back(logits[static_cast<std::size_t>(order[i])]);
        }
        choice.weights = softmax(top);
        return choice;
    }
    std::vector<bool> mask(n);
    double cumulative = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        cumulative += prob[static_cast<std::size_t>(order[i])];
        mask[i] = cumulative <= kOrP;
    }
    for (std::size_t i = n - 1; i >= 1; --i)
        mask[i] = mask[i - 1];
    mask[0] = true;
    std::vector<double> kept;
    for (std::size_t i = 0; i < n; ++i) {
        if (mask[i]) {
            choice.indices.push_back(order[i]);
            kept.push_back(prob[static_cast<std::size_t>(order[i])]);
        }
    }
    choice.weights = softmax(kept);
    return choice;
}

// Softmax of the kept probabilities, the reference code's top_p weights.
std::vector<double> softmaxOf(const std::vector<double> &values)
{
    double total = 0.0;
    for (double v : values)
        total += std::exp(v);
    std::vector<double> out;
    for (double v : values)
        out.push_back(std::exp(v) / total);
    return out;
}

void compareSelection(const lwb::DlpSelection &actual, const std::vector<std::int64_t> &selected,
                      const std::vector<double> &weights)
{
    QCOMPARE(actual.selected, selected);
    QCOMPARE(actual.weights.size(), weights.size());
    for (std::size_t i = 0; i < weights.size(); ++i)
        QVERIFY2(std::abs(actual.weights[i] - weights[i]) <= 1e-15, "fusion weight");
}

lwb::RunConfig dlpConfig(const nlohmann::json &dlp)
{
    nlohmann::json document = {{"adapter", {{"variant", "dlp"}, {"dlp", dlp}}}};
    return lwb::parseRunConfig(document, "test");
}

std::vector<std::string> issuePaths(const nlohmann::json &dlp)
{
    try {
        dlpConfig(dlp);
    } catch (const lwb::ConfigError &error) {
        std::vector<std::string> paths;
        for (const auto &issue : error.issues())
            paths.push_back(issue.path + ": " + issue.reason);
        return paths;
    }
    return {};
}

bool anyIssue(const std::vector<std::string> &issues, const std::string &part)
{
    for (const auto &issue : issues)
        if (lwb::test::contains(issue, part))
            return true;
    return false;
}

} // namespace

class TestDlpSelection : public QObject
{
    Q_OBJECT

private slots:
    void init() { torch::manual_seed(7); }

    void topPKeepsTheCrossingItem()
    {
        // Sorted: 0.4 (task 1), 0.3 (task 0): 0.4 < 0.6 <= 0.7, so the crossing task 0 stays.
        const std::vector<double> p{0.3, 0.4, 0.2, 0.1};
        compareSelection(lwb::selectTasks(p, topP(0.6)), {1, 0}, softmaxOf({0.4, 0.3}));
        compareSelection(lwb::selectTasks(p, topP(0.6, lwb::DlpWeighting::Renormalize)), {1, 0},
                         {0.4 / 0.7, 0.3 / 0.7});
        // Reaching P exactly: the reference keeps the next item too (its
        // mask is cumsum <= P shifted by one); "stop" ends there (sum >= P).
        compareSelection(lwb::selectTasks({0.25, 0.75}, topP(0.75)), {1, 0}, softmaxOf({0.75, 0.25}));
        auto stop = topP(0.75);
        stop.atEqual = lwb::TopPAtEqual::StopAt;
        compareSelection(lwb::selectTasks({0.25, 0.75}, stop), {1}, {1.0});
        compareSelection(lwb::selectTasks({0.25, 0.75}, topP(0.7499999)), {1}, {1.0});
        compareSelection(lwb::selectTasks({0.25, 0.75}, topP(0.7500001)), {1, 0}, softmaxOf({0.75, 0.25}));
    }

    void topPOneDominantTask()
    {
        compareSelection(lwb::selectTasks({0.03, 0.02, 0.9, 0.05}, topP(0.6)), {2}, {1.0});
        // The top item is always kept, even when P is tiny.
        compareSelection(lwb::selectTasks({0.3, 0.4, 0.3}, topP(1e-12)), {1}, {1.0});
    }

    void topPTiesAreBrokenByIndex()
    {
        // Four equal: 0.25, 0.5 <= 0.6 < 0.75 -> the first three by index.
        compareSelection(lwb::selectTasks({0.25, 0.25, 0.25, 0.25}, topP(0.6)), {0, 1, 2}, {1.0 / 3, 1.0 / 3, 1.0 / 3});
        // A tie at the top: P inside the first of the tied items keeps it alone.
        compareSelection(lwb::selectTasks({0.1, 0.45, 0.45}, topP(0.4)), {1}, {1.0});
        compareSelection(lwb::selectTasks({0.1, 0.45, 0.45}, topP(0.5)), {1, 2}, {0.5, 0.5});
        // Sum equal to P exactly inside ties (0.25 + 0.25 = 0.5): the next tied item is kept.
        compareSelection(lwb::selectTasks({0.25, 0.25, 0.25, 0.25}, topP(0.5)), {0, 1, 2}, {1.0 / 3, 1.0 / 3, 1.0 / 3});
        // The same probabilities in another order give the same set by index.
        compareSelection(lwb::selectTasks({0.45, 0.45, 0.1}, topP(0.4)), {0}, {1.0});
    }

    void topPWithPOneKeepsEverything()
    {
        compareSelection(lwb::selectTasks({0.5, 0.2, 0.3}, topP(1.0)), {0, 2, 1}, softmaxOf({0.5, 0.3, 0.2}));
        // Ten times 0.1 sums to 0.9999999999999999 < 1: rounding must not drop anything.
        const std::vector<double> tenths(10, 0.1);
        double sum = 0.0;
        for (double v : tenths)
            sum += v;
        QVERIFY(sum < 1.0);
        const auto all = lwb::selectTasks(tenths, topP(1.0));
        QCOMPARE(all.selected.size(), std::size_t(10));
        for (std::size_t i = 0; i < 10; ++i)
            QCOMPARE(all.selected[i], static_cast<std::int64_t>(i));
    }

    void matchesReferenceClassifierOutput()
    {
        // Random logits, both rules, default options = the reference code.
        // Half the distributions are built so that a prefix sums to P
        // exactly in float64 (dyadic probabilities), the equality case.
        std::mt19937 random(5);
        std::normal_distribution<double> normal(0.0, 1.5);
        for (int trial = 0; trial < 400; ++trial) {
            const std::size_t n = 2 + static_cast<std::size_t>(trial % 7);
            std::vector<double> logits(n);
            for (auto &value : logits)
                value = normal(random);
            double p = 0.6;
            const auto probs = torch::softmax(torch::tensor(logits, torch::kFloat64), 0);
            std::vector<double> probabilities(probs.data_ptr<double>(), probs.data_ptr<double>() + n);
            if (trial % 2 == 1) {
                // p = (1/2, 1/4, 1/8, ...) permuted, the last one doubled
                // (exact in float64, sum exactly 1); P = 0.75 = the top two.
                for (std::size_t i = 0; i < n; ++i)
                    probabilities[i] = std::ldexp(1.0, -static_cast<int>(std::min(i + 1, n - 1)));
                std::shuffle(probabilities.begin(), probabilities.end(), random);
                for (std::size_t i = 0; i < n; ++i)
                    logits[i] = std::log(probabilities[i]);
                p = 0.75;
            }
            if (n == 2 && trial % 2 == 1)
                continue; // (1/2, 1/2): a tie the reference's sort leaves unordered

            const auto refP = referenceClassifierOutput(logits, probabilities, false, p);
            compareSelection(lwb::selectTasks(probabilities, topP(p, lwb::DlpWeighting::Reference)), refP.indices,
                             refP.weights);
            DlpSelectionOptions k;
            k.rule = lwb::DlpRule::TopK;
            k.k = 1 + trial % static_cast<int>(n);
            const auto refK = referenceClassifierOutput(logits, probabilities, true, static_cast<double>(k.k));
            const auto ours = lwb::selectTasks(probabilities, k);
            QCOMPARE(ours.selected, refK.indices);
            for (std::size_t i = 0; i < ours.weights.size(); ++i)
                QVERIFY2(std::abs(ours.weights[i] - refK.weights[i]) <= 1e-14, "top-k weight");
        }
        // The defaults are the reference's.
        const DlpSelectionOptions defaults;
        QVERIFY(defaults.weighting == lwb::DlpWeighting::Reference);
        QVERIFY(defaults.atEqual == lwb::TopPAtEqual::KeepNext);
        QCOMPARE(lwb::DlpSelectionConfig().weights, std::string("reference"));
        QCOMPARE(lwb::DlpSelectionConfig().topPAtEqual, std::string("keep_next"));
    }

    void topKOption()
    {
        DlpSelectionOptions options;
        options.rule = lwb::DlpRule::TopK;
        options.k = 2;
        options.weighting = lwb::DlpWeighting::Renormalize;
        compareSelection(lwb::selectTasks({0.1, 0.6, 0.3}, options), {1, 2}, {0.6 / 0.9, 0.3 / 0.9});
        options.k = 7; // more than there are: all of them
        QCOMPARE(lwb::selectTasks({0.1, 0.6, 0.3}, options).selected, (std::vector<std::int64_t>{1, 2, 0}));
        // The dense form is the same rule row by row.
        const auto probabilities = torch::tensor({0.1, 0.6, 0.3, 0.5, 0.25, 0.25}, torch::kFloat64).reshape({2, 3});
        const auto dense = lwb::fusionWeights(probabilities, topP(0.6));
        // Row 0: the top item is 0.6 = P exactly, so the next one is kept too (the reference's rule).
        const auto expected = torch::tensor({0.0, softmaxOf({0.6, 0.3})[0], softmaxOf({0.6, 0.3})[1],
                                             softmaxOf({0.5, 0.25})[0], softmaxOf({0.5, 0.25})[1], 0.0},
                                            torch::kFloat64)
                                  .reshape({2, 3});
        QVERIFY(relativeError(dense, expected) <= 1e-15);
        QVERIFY(lwb::test::contains(lwb::test::errorOf([] { lwb::selectionOptions("top_q", 0.6, 2, "softmax"); }),
                                    "top_q"));
        QVERIFY(lwb::test::contains(
            lwb::test::errorOf([] { lwb::selectionOptions("top_p", 0.6, 2, "reference", "widen"); }), "widen"));
        // "softmax" flattens top-k weights too: exp(p) over the kept p.
        options.k = 2;
        options.weighting = lwb::DlpWeighting::Softmax;
        compareSelection(lwb::selectTasks({0.1, 0.6, 0.3}, options), {1, 2}, softmaxOf({0.6, 0.3}));
    }

    void configSectionAndErrors()
    {
        const auto config = dlpConfig({{"library", {{{"task", "first"}, {"source", "train"}}, {{"task", "length"}}}},
                                       {"selection", {{"p", 0.8}, {"weights", "renormalize"}}},
                                       {"granularity", "sentence"}});
        QCOMPARE(config.adapter.dlp.library.size(), std::size_t(2));
        QCOMPARE(config.adapter.dlp.library[1].source, std::string("train"));
        QCOMPARE(config.adapter.dlp.selection.p, 0.8);
        QCOMPARE(config.adapter.dlp.plugin.targetParams, std::int64_t(5'000'000));
        // Written back only for the dlp variant, and read back the same.
        const auto again = lwb::parseRunConfig(config.toJson(), "round trip");
        QCOMPARE(again.toJson().dump(), config.toJson().dump());
        QVERIFY(!lwb::RunConfig().toJson()["adapter"].contains("dlp"));
        // The default library is the run's tasks.
        QCOMPARE(lwb::effectiveLibrary(dlpConfig(nlohmann::json::object()).adapter.dlp, {"first", "length"}).size(),
                 std::size_t(2));

        QVERIFY(anyIssue(issuePaths({{"selection", {{"p", 0.0}}}}), "adapter.dlp.selection.p: must be > 0"));
        QVERIFY(anyIssue(issuePaths({{"selection", {{"p", 1.5}}}}), "adapter.dlp.selection.p"));
        QVERIFY(anyIssue(issuePaths({{"selection", {{"rule", "nucleus"}}}}), "adapter.dlp.selection.rule"));
        QVERIFY(anyIssue(issuePaths({{"selection", {{"top_p_at_equal", "widen"}}}}),
                         "adapter.dlp.selection.top_p_at_equal"));
        QVERIFY(anyIssue(issuePaths({{"selection", {{"weights", "logits"}}}}), "adapter.dlp.selection.weights"));
        QVERIFY(anyIssue(issuePaths({{"plugin", {{"layers", 5}}}}), "adapter.dlp.plugin.layers"));
        QVERIFY(anyIssue(issuePaths({{"plugin", {{"embedding", "clip"}}}}), "adapter.dlp.plugin.embedding"));
        QVERIFY(anyIssue(issuePaths({{"granularity", "word"}}), "adapter.dlp.granularity"));
        QVERIFY(anyIssue(issuePaths({{"library", {{{"task", "poetry"}}, {{"task", "first"}}}}}),
                         "adapter.dlp.library[0].task: unknown task \"poetry\""));
        QVERIFY(anyIssue(issuePaths({{"library", {{{"task", "first"}}, {{"task", "first"}}}}}),
                         "adapter.dlp.library[1].task: \"first\" is already"));
        QVERIFY(anyIssue(issuePaths({{"library", {{{"task", "first"}}}}}), "at least two"));
        QVERIFY(anyIssue(issuePaths({{"library", {{{"task", "first"}}, {{"task", "add"}}}},
                                     {"selection", {{"rule", "top_k"}, {"k", 3}}}}),
                         "exceeds the library"));
        QVERIFY(anyIssue(issuePaths({{"library", {{{"task", "first"}, {"colour", "red"}}, {{"task", "add"}}}}}),
                         "adapter.dlp.library[0].colour: unknown key"));
        // A dlp config is a study: the single-run trainer refuses it clearly.
        lwb::Trainer trainer(dlpConfig(nlohmann::json::object()));
        QVERIFY(lwb::test::contains(lwb::test::errorOf([&] { trainer.run(); }), "lorawb dlp"));
    }
};

QTEST_APPLESS_MAIN(TestDlpSelection)
#include "test_dlp_selection.moc"
