// DLP-LoRA's fused adapter and routing: the fused adapter's forward and
// gradients against a float64 loop over sequences, positions and LoRAs
// (per-sequence and per-position sets, LoRAs of different ranks, unused LoRAs
// left out, gradients of the weights themselves); one LoRA at weight 1 equal
// to that LoRA alone, on one layer and through the whole model; per-sentence
// routing switching exactly at sentence boundaries in a constructed
// generation; the plugin's held-out task accuracy on the built-in tasks
// (>= 95 %) and its ~5M sizing. The selection rule and the "adapter.dlp"
// config are in test_dlp_selection.cpp; the parts that run the Trainer
// (checkpoint import, the whole study) in test_dlp_study.cpp.
#include "engine/adapters/adapted_linear.h"
#include "engine/adapters/adapter_registry.h"
#include "engine/adapters/dlp_fused_adapter.h"
#include "engine/adapters/dlp_selection.h"
#include "engine/adapters/lora_adapter.h"
#include "engine/config/run_config.h"
#include "engine/data/batch_builder.h"
#include "engine/dlp/dlp_router.h"
#include "engine/dlp/plugin_training.h"
#include "engine/dlp/routed_generation.h"
#include "engine/dlp/task_lora_library.h"
#include "engine/tokenizer/byte_tokenizer.h"
#include "engine/train/trainer.h"
#include "error_capture.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>

namespace {

using lwb::DlpSelectionOptions;

constexpr std::int64_t kIn = 7, kOut = 5;

double relativeError(const torch::Tensor &actual, const torch::Tensor &expected)
{
    return (actual - expected).norm().item<double>() / std::max(1e-300, expected.norm().item<double>());
}

// Task i's LoRA: A [r_i, in], B [out, r_i], scale s_i; leaves for the reference.
struct TaskLoraTensors
{
    torch::Tensor a, b;
    double scale;
};

std::vector<TaskLoraTensors> randomTaskLoras(const std::vector<std::int64_t> &ranks)
{
    std::vector<TaskLoraTensors> loras;
    for (std::size_t i = 0; i < ranks.size(); ++i)
        loras.push_back({torch::randn({ranks[i], kIn}, torch::kFloat64).requires_grad_(true),
                         torch::randn({kOut, ranks[i]}, torch::kFloat64).requires_grad_(true), 0.5 + 0.75 * double(i)});
    return loras;
}

std::shared_ptr<lwb::DlpFusedAdapterImpl> fusedOf(const std::vector<TaskLoraTensors> &loras, std::int64_t rank)
{
    auto fused = std::make_shared<lwb::DlpFusedAdapterImpl>(kIn, kOut, static_cast<std::int64_t>(loras.size()), rank);
    fused->to(torch::kFloat64);
    for (std::size_t i = 0; i < loras.size(); ++i)
        fused->setTaskLora(static_cast<std::int64_t>(i), loras[i].a.detach(), loras[i].b.detach(), loras[i].scale);
    return fused;
}

// The obvious loop: each sequence, each position, each LoRA with its weight.
torch::Tensor referenceDelta(const torch::Tensor &x, const torch::Tensor &weights,
                             const std::vector<TaskLoraTensors> &loras)
{
    std::vector<torch::Tensor> rows;
    for (std::int64_t b = 0; b < x.size(0); ++b) {
        for (std::int64_t t = 0; t < x.size(1); ++t) {
            auto h = torch::zeros({kOut}, torch::kFloat64);
            for (std::size_t i = 0; i < loras.size(); ++i) {
                const auto w = weights.dim() == 2 ? weights[b][static_cast<std::int64_t>(i)]
                                                  : weights[b][t][static_cast<std::int64_t>(i)];
                h = h + w * loras[i].scale * torch::mv(loras[i].b, torch::mv(loras[i].a, x[b][t]));
            }
            rows.push_back(h);
        }
    }
    return torch::stack(rows).reshape({x.size(0), x.size(1), kOut});
}

// A GPT-2-shaped model whose greedy output is a script: every block is the
// identity (zero output projections), the token embeddings are zero and
// position t's embedding is the unit vector e_t, so the logits at position t
// depend on t alone; lm_head row v is the sum of e_t over the positions t
// whose next token is v.
lwb::CausalLM scriptedModel(const std::vector<std::int64_t> &script)
{
    lwb::ModelConfig config = lwb::modelPreset("gpt2-tiny");
    config.hiddenSize = 32;
    config.numHeads = 2;
    config.numKvHeads = 2;
    config.numLayers = 1;
    config.intermediateSize = 16;
    config.maxPositions = 64;
    config.tieWordEmbeddings = false;
    lwb::CausalLM model(config);
    torch::NoGradGuard noGrad;
    for (auto &item : model->named_parameters()) {
        const auto &name = item.key();
        auto &p = item.value();
        if (name.find("ln_") != std::string::npos)
            continue; // norms stay at weight 1, bias 0
        p.zero_();
        if (name == "transformer.wpe.weight")
            p.narrow(0, 0, config.hiddenSize).copy_(torch::eye(config.hiddenSize));
        if (name == "lm_head.weight") {
            for (std::size_t t = 0; t + 1 < script.size(); ++t)
                p[script[t + 1]][static_cast<std::int64_t>(t)] = 1.0;
        }
    }
    return model;
}

} // namespace

class TestDlp : public QObject
{
    Q_OBJECT

private slots:
    void init() { torch::manual_seed(7); }

    void fusedForwardAndGradientsMatchLoop_data()
    {
        QTest::addColumn<QString>("weighting");
        QTest::addColumn<int>("path");
        const int automatic = int(lwb::DlpFusedAdapterImpl::Path::Auto);
        const int stacked = int(lwb::DlpFusedAdapterImpl::Path::Stacked);
        const int perSequence = int(lwb::DlpFusedAdapterImpl::Path::PerSequence);
        QTest::newRow("different sets per sequence, stacked") << "sequence" << stacked;
        QTest::newRow("different sets per sequence, per-sequence gather") << "sequence" << perSequence;
        QTest::newRow("LoRA 3 unused by the batch, stacked") << "gather" << stacked;
        QTest::newRow("LoRA 3 unused by the batch, per-sequence gather") << "gather" << perSequence;
        QTest::newRow("sparse sets, auto (per-sequence gather)") << "sparse" << automatic;
        QTest::newRow("per position (sentence switches), stacked") << "position" << stacked;
        QTest::newRow("per position (sentence switches), per-sequence gather") << "position" << perSequence;
        QTest::newRow("weights with gradient (every LoRA)") << "trainable" << automatic;
    }

    void fusedForwardAndGradientsMatchLoop()
    {
        QFETCH(QString, weighting);
        QFETCH(int, path);
        constexpr std::int64_t kBatch = 3, kLength = 5;
        const auto loras = randomTaskLoras({2, 3, 1, 3}); // different ranks: padded to 3
        auto fused = fusedOf(loras, 3);
        fused->setPath(static_cast<lwb::DlpFusedAdapterImpl::Path>(path));
        torch::Tensor weights;
        if (weighting == "position") {
            weights = torch::zeros({kBatch, kLength, 4}, torch::kFloat64);
            for (std::int64_t b = 0; b < kBatch; ++b)
                for (std::int64_t t = 0; t < kLength; ++t) {
                    weights[b][t][(b + t) % 4] = 0.6;
                    weights[b][t][(b + 2 * t + 1) % 4].add_(0.4);
                }
        } else {
            weights
                = torch::tensor({0.7, 0.0, 0.3, 0.0, /**/ 0.0, 1.0, 0.0, 0.0, /**/ 0.2, 0.3, 0.0, 0.5}, torch::kFloat64)
                      .reshape({kBatch, 4})
                      .clone();
            if (weighting == "gather")
                weights.select(1, 3).zero_();
            if (weighting == "sparse") // {0}, {1, 3}, {2}: two LoRAs at most per sequence, four in all
                weights = torch::tensor({1.0, 0.0, 0.0, 0.0, /**/ 0.0, 0.6, 0.0, 0.4, /**/ 0.0, 0.0, 1.0, 0.0},
                                        torch::kFloat64)
                              .reshape({kBatch, 4})
                              .clone();
        }
        if (weighting == "trainable")
            weights.requires_grad_(true);
        fused->setFusionWeights(weights);
        const auto x = torch::randn({kBatch, kLength, kIn}, torch::kFloat64).requires_grad_(true);
        const auto g = torch::randn({kBatch, kLength, kOut}, torch::kFloat64);
        const auto out = fused->delta(x);
        (out * g).sum().backward();
        if (weighting == "sparse")
            QVERIFY2(fused->lastForwardPerSequence(), "auto takes the per-sequence path when 2k <= n");
        if (path == int(lwb::DlpFusedAdapterImpl::Path::Stacked) || weighting == "trainable")
            QVERIFY(!fused->lastForwardPerSequence());
        const auto fusedXGrad = x.grad().clone();
        const auto fusedWeightGrad = weighting == "trainable" ? weights.grad().clone() : torch::Tensor();
        x.mutable_grad().zero_();
        if (weighting == "trainable")
            weights.mutable_grad().zero_();

        const auto ref = referenceDelta(x, weights, loras);
        (ref * g).sum().backward();
        QVERIFY2(relativeError(out.detach(), ref.detach()) <= 1e-10, "forward");
        QVERIFY2(relativeError(fusedXGrad, x.grad()) <= 1e-10, "input gradient");
        for (std::size_t i = 0; i < loras.size(); ++i) {
            const auto task = static_cast<std::int64_t>(i);
            const auto r = loras[i].a.size(0);
            const auto gradA = fused->loraA.grad()[task], gradB = fused->loraB.grad()[task];
            if (loras[i].a.grad().abs().max().item<double>() == 0.0) {
                QVERIFY2(gradA.abs().max().item<double>() == 0.0, "an unused LoRA gets no gradient");
            } else {
                QVERIFY2(relativeError(gradA.narrow(0, 0, r), loras[i].a.grad()) <= 1e-10, "A gradient");
                QVERIFY2(relativeError(gradB.narrow(1, 0, r), loras[i].b.grad()) <= 1e-10, "B gradient");
            }
            // The zero padding of a smaller rank stays without gradient.
            QCOMPARE(gradA.narrow(0, r, 3 - r).abs().sum().item<double>(), 0.0);
            QCOMPARE(gradB.narrow(1, r, 3 - r).abs().sum().item<double>(), 0.0);
        }
        if (weighting == "trainable")
            QVERIFY2(relativeError(fusedWeightGrad, weights.grad()) <= 1e-10, "weight gradient");
    }

    void oneLoraAtWeightOneIsThatLora()
    {
        lwb::LoraOptions options;
        options.rank = 3;
        options.alpha = 5.0;
        auto lora = std::make_shared<lwb::LoraAdapterImpl>(kIn, kOut, options);
        lora->to(torch::kFloat64);
        {
            torch::NoGradGuard noGrad;
            lora->loraB.normal_();
        }
        auto loras = randomTaskLoras({2, 3, 3});
        loras[1] = {lora->loraA.detach().clone(), lora->loraB.detach().clone(), lora->scale()};
        auto fused = fusedOf(loras, 3);
        fused->setFusionWeights(torch::tensor({0.0, 1.0, 0.0, 0.0, 1.0, 0.0}, torch::kFloat64).reshape({2, 3}));
        lora->eval();
        const auto x = torch::randn({2, 6, kIn}, torch::kFloat64);
        QVERIFY(relativeError(fused->delta(x), lora->delta(x)) <= 1e-14);

        // Through a whole model: the library attached to a fresh base, one-hot
        // weights, against the model that carries the LoRA itself.
        lwb::RunConfig config;
        config.adapter.targets = lwb::linearLayerNames(config.model.architecture);
        config.adapter.dropout = 0.0;
        lwb::CausalLM withLora(config.model);
        lwb::attachAdapters(*withLora, config.adapter);
        {
            torch::NoGradGuard noGrad;
            for (auto &item : withLora->named_parameters())
                if (lwb::test::contains(item.key(), "lora_B"))
                    item.value().normal_(0.0, 0.05);
        }
        lwb::TaskLoraLibrary library;
        lwb::CausalLM other(config.model);
        lwb::attachAdapters(*other, config.adapter);
        {
            torch::NoGradGuard noGrad;
            for (auto &item : other->named_parameters())
                if (lwb::test::contains(item.key(), "lora_B"))
                    item.value().normal_(0.0, 0.05);
        }
        library.add(lwb::taskLoraFromModel("length", *other, config.adapter));
        library.add(lwb::taskLoraFromModel("first", *withLora, config.adapter));
        QCOMPARE(library.tasks(), (std::vector<std::string>{"length", "first"}));
        lwb::CausalLM base(config.model);
        const auto adapters = lwb::attachFusedLibrary(*base, library);
        QCOMPARE(adapters.size(), std::size_t(4 * config.model.numLayers)); // c_attn, attn.c_proj, c_fc, mlp.c_proj
        withLora->to(torch::kFloat64);
        base->to(torch::kFloat64);
        withLora->eval();
        base->eval();
        lwb::setFusionWeights(adapters, torch::tensor({0.0, 1.0, 0.0, 1.0}, torch::kFloat64).reshape({2, 2}));
        const auto ids = torch::randint(0, 256, {2, 9}, torch::kInt64);
        torch::NoGradGuard noGrad;
        QVERIFY(relativeError(base->forward(ids), withLora->forward(ids)) <= 1e-10);
        // And without weights set, the fused model refuses to run.
        lwb::CausalLM fresh(config.model);
        lwb::attachFusedLibrary(*fresh, library);
        QVERIFY(lwb::test::contains(lwb::test::errorOf([&] { fresh->forward(ids); }), "no fusion weights"));
    }

    void perSentenceRoutingSwitchesAtBoundaries()
    {
        const lwb::ByteTokenizer tokenizer;
        const auto format = lwb::SequenceFormat::byteLevel();
        const std::string answer = "Hi. Yes! No\nOk? fine";
        const std::vector<std::string> prompts{"Go\n", "Up\n"};
        std::vector<std::int64_t> script{lwb::ByteTokenizer::kBos};
        for (auto id : tokenizer.encode(prompts[0] + answer))
            script.push_back(id);
        script.push_back(lwb::ByteTokenizer::kEos);
        auto model = scriptedModel(script);

        // Three task LoRAs with zero B: the script is not disturbed, and
        // every forward still goes through the fused adapters.
        lwb::TaskLoraLibrary library;
        for (const auto *task : {"first", "length", "upper"}) {
            lwb::TaskLora lora;
            lora.task = task;
            lora.rank = 2;
            lora.scale = 1.0;
            for (const auto *layer : {"transformer.h.0.attn.c_attn", "transformer.h.0.mlp.c_fc"}) {
                const auto out = std::string(layer).find("c_attn") != std::string::npos ? 96 : 16;
                lora.layers[layer] = {torch::randn({2, 32}), torch::zeros({out, 2})};
            }
            library.add(lora);
        }
        const auto adapters = lwb::attachFusedLibrary(*model, library);

        // A scripted reader: LoRA (sentences ended so far + 1 for "Up") mod 3,
        // with probability 0.9, so top-p 0.6 keeps it alone.
        std::vector<std::string> readContexts;
        const auto probabilities = [&](const torch::Tensor &ids, const torch::Tensor &mask) {
            auto out = torch::full({ids.size(0), 3}, 0.05, torch::kFloat64);
            for (std::int64_t r = 0; r < ids.size(0); ++r) {
                std::vector<std::int64_t> tokens;
                for (std::int64_t t = 0; t < ids.size(1); ++t)
                    if (mask[r][t].item<bool>())
                        tokens.push_back(ids[r][t].item<std::int64_t>());
                const auto text = tokenizer.decode(tokens);
                readContexts.push_back(text);
                std::int64_t ends = 0;
                for (std::size_t i = 1; i <= text.size(); ++i)
                    ends += lwb::endsSentence(text.substr(0, i)) ? 1 : 0;
                out[r][(ends + (text[0] == 'U' ? 1 : 0)) % 3] = 0.9;
            }
            return out;
        };
        DlpSelectionOptions topP06; // top-p 0.6 with softmax weights
        topP06.p = 0.6;
        topP06.weighting = lwb::DlpWeighting::Softmax;
        lwb::DlpRouter router(probabilities, 3, topP06);
        lwb::RoutedGenerationOptions options;
        options.granularity = lwb::DlpGranularity::Sentence;
        options.maxNewTokens = 32;
        // With the KV cache, and re-running whole sequences (the reference).
        for (const bool cached : {true, false}) {
            options.useKvCache = cached;
            readContexts.clear();
            router.resetCounts();
            // Watched live: each row's tokens as chosen, each decision with how many tokens preceded it.
            std::vector<std::vector<std::int64_t>> streamed(prompts.size());
            std::vector<bool> done(prompts.size(), false);
            std::vector<std::vector<std::pair<std::int64_t, std::size_t>>> routed(prompts.size());
            options.onChosen = [&](const lwb::ChosenTokens &chosen, const std::vector<std::size_t> &rows) {
                for (std::size_t r = 0; r < rows.size(); ++r) {
                    if (!done[rows[r]])
                        streamed[rows[r]].push_back(chosen.tokens[r]);
                    done[rows[r]] = chosen.finished[r];
                }
            };
            options.onRouted = [&](std::size_t prompt, const lwb::RoutedSegment &segment) {
                routed[prompt].emplace_back(segment.start, streamed[prompt].size());
            };
            const auto results = lwb::generateRouted(*model, adapters, router, format, prompts, options, torch::kCPU);
            for (std::size_t row = 0; row < 2; ++row) {
                auto expected = results[row].answer;
                expected.push_back(format.eosId());
                QCOMPARE(streamed[row], expected);
                QCOMPARE(routed[row].size(), results[row].segments.size());
                for (std::size_t s = 0; s < routed[row].size(); ++s) {
                    QCOMPARE(routed[row][s].first, results[row].segments[s].start);
                    // Routed after the boundary token (position start, prompt = 4) streamed, before the next.
                    const std::int64_t before = s == 0 ? 0 : routed[row][s].first - 4 + 1;
                    QCOMPARE(static_cast<std::int64_t>(routed[row][s].second), before);
                }
            }

            // Prompt = BOS + 3 tokens; the boundary spaces are answer tokens 3, 8
            // and 15 (positions 7, 12, 19); "No\n" has no mark, so no switch there.
            const std::vector<std::int64_t> starts{0, 7, 12, 19};
            for (std::size_t row = 0; row < 2; ++row) {
                QCOMPARE(results[row].text, answer);
                QVERIFY(results[row].finished);
                QCOMPARE(results[row].segments.size(), starts.size());
                for (std::size_t s = 0; s < starts.size(); ++s) {
                    QCOMPARE(results[row].segments[s].start, starts[s]);
                    QCOMPARE(results[row].segments[s].selected,
                             (std::vector<std::int64_t>{static_cast<std::int64_t>((s + row) % 3)}));
                }
            }
            // The router re-read the whole context, ending at each boundary.
            QCOMPARE(readContexts.size(), std::size_t(8));
            QCOMPARE(readContexts[2], std::string("Go\nHi. "));
            QCOMPARE(readContexts[5], std::string("Up\nHi. Yes! "));
            QCOMPARE(readContexts[6], std::string("Go\nHi. Yes! No\nOk? "));
            // The last forward's per-position weights: re-running the whole
            // sequence, each position holds the set of its sentence (earlier
            // positions keep theirs); with the cache the forward ran only the
            // last answer token, position 23, with the last sentence's set.
            const auto weights = adapters.front()->fusionWeights();
            QCOMPARE(weights.dim(), std::int64_t(3));
            const std::int64_t first = cached ? 4 + 19 : 0;
            QCOMPARE(weights.size(1), 4 + 20 - first); // up to the last answer token
            for (std::int64_t row = 0; row < 2; ++row)
                for (std::int64_t t = first; t < 4 + 20; ++t) {
                    const std::int64_t sentence = t < 7 ? 0 : t < 12 ? 1 : t < 19 ? 2 : 3;
                    QCOMPARE(weights[row][t - first].argmax().item<std::int64_t>(), (sentence + row) % 3);
                    QCOMPARE(weights[row][t - first].sum().item<double>(), 1.0);
                }
            QCOMPARE(router.selectionCounts(), (std::vector<std::int64_t>{3, 3, 2}));
        }

        // Per input: the prompt's set throughout, one decision per prompt.
        router.resetCounts();
        options.onChosen = {};
        options.onRouted = {};
        options.granularity = lwb::DlpGranularity::Input;
        const auto once = lwb::generateRouted(*model, adapters, router, format, prompts, options, torch::kCPU);
        QCOMPARE(once[0].text, answer);
        QCOMPARE(once[1].segments.size(), std::size_t(1));
        QCOMPARE(adapters.front()->fusionWeights().dim(), std::int64_t(2));
        QCOMPARE(router.decisions(), std::int64_t(2));
    }

    void sentenceBoundaries()
    {
        QVERIFY(lwb::endsSentence("Hi. "));
        QVERIFY(lwb::endsSentence("Yes!\n"));
        QVERIFY(lwb::endsSentence("Ok? "));
        QVERIFY(!lwb::endsSentence("3.5"));
        QVERIFY(!lwb::endsSentence("No\n"));
        QVERIFY(!lwb::endsSentence("end."));
        QVERIFY(!lwb::endsSentence(" "));
    }

    void pluginLearnsTheTasks()
    {
        const auto tasks = lwb::builtinTaskNames();
        lwb::PluginOptions options;
        options.tasks = static_cast<std::int64_t>(tasks.size());
        options.embeddingDim = 32;
        options.layers = 2;
        options.width = 64;
        lwb::PluginClassifier plugin(options);
        const lwb::TaskGenerator stream(tasks, 42);
        std::vector<lwb::TaskExample> train;
        for (std::uint64_t i = 0; i < 2048; ++i)
            train.push_back(stream.example(i));
        const lwb::TaskData data(lwb::SequenceFormat::byteLevel(), tasks, 42, 48, 600);
        const auto format = lwb::SequenceFormat::byteLevel();
        lwb::PluginTrainingOptions training;
        training.epochs = 10;
        training.lr = 3e-3;
        const auto report = lwb::trainPlugin(*plugin, lwb::pluginExamples(train, tasks, format),
                                             lwb::pluginExamples(data.evalExamples(), tasks, format), training);
        std::printf("plugin: %lld parameters, %lld held-out prompts of %zu built-in tasks, accuracy %.2f %%, %.2f s\n",
                    static_cast<long long>(report.parameters), static_cast<long long>(report.heldOut.examples),
                    tasks.size(), 100.0 * report.heldOut.accuracy, report.seconds);
        QVERIFY(report.heldOut.accuracy >= 0.95);
        QVERIFY(report.epochLoss.back() < report.epochLoss.front());
        std::int64_t counted = 0;
        for (const auto &row : report.heldOut.confusion)
            for (auto count : row)
                counted += count;
        QCOMPARE(counted, std::int64_t(600));
        // Unknown tasks in the data are an error, not a silent label.
        QVERIFY(lwb::test::contains(lwb::test::errorOf([&] {
                                        lwb::pluginExamples(train, {"first", "length"}, format);
                                    }),
                                    "does not have"));
    }

    void pluginSizedAroundTarget()
    {
        lwb::PluginOptions options; // the defaults: own 256-wide table, 3 layers, ~5M
        options.tasks = 6;
        lwb::PluginClassifier plugin(options);
        std::printf("default plugin: width %lld, %lld trainable parameters (target %lld)\n",
                    static_cast<long long>(plugin->width()), static_cast<long long>(plugin->parameterCount()),
                    static_cast<long long>(options.targetParams));
        QCOMPARE(plugin->parameterCount(), lwb::pluginParameterCount(options, 256, plugin->width()));
        QVERIFY(std::abs(plugin->parameterCount() - options.targetParams) <= options.targetParams / 100);
        // With the base embeddings the table is frozen and not counted.
        options.baseEmbedding = true;
        options.layers = 2;
        options.targetParams = 100'000;
        lwb::PluginClassifier onBase(options, torch::randn({options.vocabSize, 128}));
        QVERIFY(std::abs(onBase->parameterCount() - 100'000) <= 1000);
        const auto ids = torch::tensor({256, 10, 20, 258}, torch::kInt64).reshape({1, 4});
        const auto mask = torch::tensor({true, true, true, false}).reshape({1, 4});
        const auto logits = onBase->forward(ids, mask);
        QCOMPARE(logits.size(0), std::int64_t(1));
        QCOMPARE(logits.size(1), std::int64_t(6));
        // Padding does not count in the mean: same logits without the pad.
        QVERIFY(relativeError(onBase->forward(ids.narrow(1, 0, 3), mask.narrow(1, 0, 3)), onBase->forward(ids, mask))
                <= 1e-6);
    }
};

QTEST_APPLESS_MAIN(TestDlp)
#include "test_dlp.moc"
