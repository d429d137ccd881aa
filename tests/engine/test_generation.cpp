// Generation with a KV cache (engine/model/generation.h) against the decoding
// it replaced, which re-ran the whole sequence for every new token:
// - GPT-2 (learned positions) and Llama (RoPE, grouped-query attention) with
//   LoRA or ResLoRA adapters, float64: the logits of a prefill followed by
//   one-token and multi-token cached steps equal a whole-sequence forward's
//   at every position (rel err <= 1e-10);
// - greedy and seeded top-p generation with the cache give the tokens of
//   the plain uncached loop written here (the pre-cache code), EOS included;
// - DLP-LoRA's fused adapters with a set per position (per-sentence
//   routing): each cached step given only its new position's set matches
//   the whole-sequence forward with all of them;
// - SiRA with a capacity limit cannot be cached (its capacity counts the
//   pass's tokens, and a cached decode's logits do differ): the model says
//   so and generation re-runs whole sequences, giving the reference loop's
//   tokens bit for bit; without a capacity limit SiRA acts per token and
//   its cached logits match.
// A prefill of a whole sequence is bitwise the training forward.
#include "engine/adapters/adapter_registry.h"
#include "engine/config/run_config.h"
#include "engine/dlp/task_lora_library.h"
#include "engine/model/causal_lm.h"
#include "engine/model/generation.h"
#include "engine/tokenizer/byte_tokenizer.h"

#include <QtTest>

#include <algorithm>

namespace {

double relativeError(const torch::Tensor &actual, const torch::Tensor &expected)
{
    return (actual - expected).norm().item<double>() / std::max(1e-300, expected.norm().item<double>());
}

// A preset with adapters of `variant` on every default target, their B
// factors random so that the adapters change the output.
lwb::CausalLM adaptedModel(const std::string &preset, const std::string &variant, double capacityFactor = 1.25)
{
    lwb::CausalLM model(lwb::modelPreset(preset));
    lwb::AdapterConfig adapter;
    adapter.variant = variant;
    adapter.targets = lwb::linearLayerNames(model->config().architecture);
    adapter.rank = 4;
    adapter.sira.experts = 4;
    adapter.sira.capacityFactor = capacityFactor;
    lwb::attachAdapters(*model, adapter);
    torch::NoGradGuard noGrad;
    for (auto &[name, parameter] : lwb::trainableParameters(*model)) {
        if (name.find("lora_B") != std::string::npos)
            parameter.normal_(0.0, 0.2);
    }
    model->eval();
    return model;
}

struct Decoded
{
    std::vector<std::vector<std::int64_t>> tokens;
    std::vector<bool> finished;
};

// The decoding loop as the evaluator, DLP's routed generation and `lorawb
// generate` wrote it before the cache: every step re-runs the whole
// sequence; greedy, or (one row) top-p from the float64 logits.
Decoded referenceDecode(lwb::CausalLMImpl &model, torch::Tensor ids, const lwb::GenerationOptions &options)
{
    torch::NoGradGuard noGrad;
    const auto rows = ids.size(0);
    Decoded out{std::vector<std::vector<std::int64_t>>(rows), std::vector<bool>(rows, false)};
    for (std::int64_t step = 0; step < options.maxNewTokens && ids.size(1) < model.config().maxPositions; ++step) {
        const auto logits = model.forward(ids).select(1, ids.size(1) - 1);
        torch::Tensor next;
        if (options.temperature == 0.0) {
            next = logits.argmax(-1);
        } else {
            const auto probs = torch::softmax(logits[0].to(torch::kDouble) / options.temperature, -1);
            const auto sorted = probs.sort(-1, true);
            const auto values = std::get<0>(sorted);
            const auto kept = values.masked_fill(values.cumsum(-1) - values >= options.topP, 0.0);
            next = std::get<1>(sorted)[torch::multinomial(kept / kept.sum(), 1).item<std::int64_t>()].reshape({1});
        }
        bool allDone = true;
        for (std::int64_t r = 0; r < rows; ++r) {
            const auto token = next[r].item<std::int64_t>();
            if (!out.finished[r]) {
                if (std::find(options.eosIds.begin(), options.eosIds.end(), token) != options.eosIds.end())
                    out.finished[r] = true;
                else
                    out.tokens[r].push_back(token);
            }
            allDone = allDone && out.finished[r];
        }
        if (allDone)
            break;
        ids = torch::cat({ids, next.unsqueeze(1)}, 1);
    }
    return out;
}

void compareWithReference(const std::vector<lwb::GeneratedSequence> &generated, const Decoded &reference)
{
    QCOMPARE(generated.size(), reference.tokens.size());
    for (std::size_t r = 0; r < generated.size(); ++r) {
        QCOMPARE(generated[r].tokens, reference.tokens[r]);
        QCOMPARE(generated[r].finished, static_cast<bool>(reference.finished[r]));
    }
}

torch::Tensor randomPrompts(std::int64_t rows, std::int64_t length)
{
    auto ids = torch::randint(0, 256, {rows, length}, torch::kInt64);
    ids.select(1, 0).fill_(lwb::ByteTokenizer::kBos);
    return ids;
}

} // namespace

class TestGeneration : public QObject
{
    Q_OBJECT

private slots:
    void init() { torch::manual_seed(11); }

    void cachedLogitsMatchTheFullForward_data()
    {
        QTest::addColumn<QString>("preset");
        QTest::addColumn<QString>("variant");
        QTest::addColumn<double>("capacityFactor");
        QTest::newRow("gpt2 lora") << "gpt2-tiny"
                                   << "lora" << 0.0;
        QTest::newRow("llama gqa lora") << "llama-tiny"
                                        << "lora" << 0.0;
        QTest::newRow("llama gqa reslora") << "llama-tiny"
                                           << "reslora" << 0.0;
        QTest::newRow("gpt2 sira without capacity") << "gpt2-tiny"
                                                    << "sira" << 0.0;
    }

    void cachedLogitsMatchTheFullForward()
    {
        QFETCH(QString, preset);
        QFETCH(QString, variant);
        QFETCH(double, capacityFactor);
        auto model = adaptedModel(preset.toStdString(), variant.toStdString(), capacityFactor);
        model->to(torch::kFloat64);
        QVERIFY(model->supportsKvCache());
        torch::NoGradGuard noGrad;
        const auto ids = randomPrompts(3, 14);
        const auto full = model->forward(ids);
        // A prefill of the whole sequence is the training forward, op for op.
        lwb::KvCache whole(model->config().numLayers);
        QVERIFY(torch::equal(model->forwardWithCache(ids, whole), full));
        // Decoding's projection of the last position alone (with a cache and
        // without) is that position's row of the full logits.
        const auto lastRow = full.select(1, full.size(1) - 1);
        lwb::KvCache prefill(model->config().numLayers);
        QVERIFY(relativeError(model->nextTokenLogits(ids, &prefill), lastRow) <= 1e-12);
        QCOMPARE(prefill.length(), ids.size(1));
        QVERIFY(relativeError(model->nextTokenLogits(ids, nullptr), lastRow) <= 1e-12);

        // Prefill 6 positions, then 1, 1, 3 and 1 more, then the last 2.
        lwb::KvCache cache(model->config().numLayers);
        std::vector<torch::Tensor> pieces;
        std::int64_t start = 0;
        for (const std::int64_t length : {6, 1, 1, 3, 1, 2}) {
            pieces.push_back(model->forwardWithCache(ids.narrow(1, start, length), cache));
            start += length;
            QCOMPARE(cache.length(), start);
        }
        const auto cached = torch::cat(pieces, 1);
        QCOMPARE(cached.sizes(), full.sizes());
        for (std::int64_t t = 0; t < full.size(1); ++t)
            QVERIFY2(relativeError(cached.select(1, t), full.select(1, t)) <= 1e-10,
                     qPrintable(QString("position %1").arg(t)));
        // Grouped-query attention caches the kv heads, not their repeats.
        const auto &config = model->config();
        QCOMPARE(cache.layer(0).keys.sizes(),
                 (torch::IntArrayRef{3, config.numKvHeads, full.size(1), config.headDim()}));
    }

    void greedyMatchesTheUncachedLoop_data()
    {
        QTest::addColumn<QString>("preset");
        QTest::newRow("gpt2") << "gpt2-tiny";
        QTest::newRow("llama gqa") << "llama-tiny";
    }

    void greedyMatchesTheUncachedLoop()
    {
        QFETCH(QString, preset);
        auto model = adaptedModel(preset.toStdString(), "lora");
        const auto prompts = randomPrompts(4, 7);
        lwb::GenerationOptions options;
        options.maxNewTokens = 24;
        // No EOS first; then EOS = a token row 0 emits midway, so that rows
        // finish at different steps.
        const auto open = referenceDecode(*model, prompts, options);
        compareWithReference(lwb::generate(*model, prompts, options), open);
        options.eosIds = {open.tokens[0][9]};
        const auto reference = referenceDecode(*model, prompts, options);
        QVERIFY(reference.finished[0]);
        compareWithReference(lwb::generate(*model, prompts, options), reference);
        // A list of end ids (an eos_token_id list, Llama 3's): a row finishes at any of them.
        options.eosIds = {open.tokens[1][3], open.tokens[0][9]};
        const auto listed = referenceDecode(*model, prompts, options);
        QVERIFY(listed.finished[0] && listed.finished[1]);
        compareWithReference(lwb::generate(*model, prompts, options), listed);
        // The length cap: the model's last position ends decoding.
        options.maxNewTokens = 1000;
        options.eosIds.clear();
        const auto capped = lwb::generate(*model, prompts, options);
        compareWithReference(capped, referenceDecode(*model, prompts, options));
        QCOMPARE(static_cast<std::int64_t>(capped[0].tokens.size()), model->config().maxPositions - prompts.size(1));
    }

    void seededTopPMatchesTheUncachedLoop()
    {
        auto model = adaptedModel("llama-tiny", "lora");
        const auto prompt = randomPrompts(1, 5);
        lwb::GenerationOptions options;
        options.maxNewTokens = 40;
        options.temperature = 0.8;
        options.topP = 0.9;
        torch::manual_seed(5);
        const auto reference = referenceDecode(*model, prompt, options);
        torch::manual_seed(5);
        const auto generated = lwb::generate(*model, prompt, options);
        compareWithReference(generated, reference);
        torch::manual_seed(6);
        QVERIFY(lwb::generate(*model, prompt, options)[0].tokens != generated[0].tokens);
    }

    void hookSeesEveryStepAtItsPosition()
    {
        auto model = adaptedModel("gpt2-tiny", "lora");
        const auto prompts = randomPrompts(2, 5);
        lwb::GenerationOptions options;
        options.maxNewTokens = 6;
        for (const bool cached : {true, false}) {
            options.useKvCache = cached;
            std::vector<std::int64_t> positions, firsts;
            std::vector<std::vector<std::int64_t>> seen(2);
            const auto generated = lwb::generate(*model, prompts, options, [&](const lwb::GenerationStep &step) {
                positions.push_back(step.position);
                firsts.push_back(step.forwardFrom);
                for (std::size_t r = 0; r < 2; ++r)
                    seen[r].push_back(step.tokens[r]);
            });
            // After every step, the last one included (DLP records a switch there).
            QCOMPARE(positions, (std::vector<std::int64_t>{5, 6, 7, 8, 9, 10}));
            QCOMPARE(firsts, cached ? positions : std::vector<std::int64_t>(6, 0));
            for (std::size_t r = 0; r < 2; ++r)
                QCOMPARE(seen[r], generated[r].tokens);
        }
    }

    void dlpWeightsPerPositionWithTheCache()
    {
        // Three task LoRAs on every attention projection; each row switches
        // its set at random positions, as per-sentence routing does. The
        // cached decode gets only the new positions' sets.
        lwb::CausalLM model(lwb::modelPreset("gpt2-tiny"));
        const auto &config = model->config();
        lwb::TaskLoraLibrary library;
        for (const auto *task : {"first", "length", "upper"}) {
            lwb::TaskLora lora;
            lora.task = task;
            lora.rank = 2;
            lora.scale = 1.0;
            for (std::int64_t block = 0; block < config.numLayers; ++block)
                lora.layers["transformer.h." + std::to_string(block) + ".attn.c_attn"]
                    = {torch::randn({2, config.hiddenSize}), 0.3 * torch::randn({3 * config.hiddenSize, 2})};
            library.add(lora);
        }
        const auto adapters = lwb::attachFusedLibrary(*model, library);
        model->to(torch::kFloat64);
        model->eval();
        QVERIFY(model->supportsKvCache());
        torch::NoGradGuard noGrad;
        const auto ids = randomPrompts(3, 12);
        const auto weights = torch::one_hot(torch::randint(0, 3, {3, 12}), 3).to(torch::kFloat64);
        lwb::setFusionWeights(adapters, weights);
        const auto full = model->forward(ids);
        lwb::KvCache cache(config.numLayers);
        lwb::setFusionWeights(adapters, weights.narrow(1, 0, 5));
        std::vector<torch::Tensor> pieces{model->forwardWithCache(ids.narrow(1, 0, 5), cache)};
        for (std::int64_t t = 5; t < 12; ++t) {
            lwb::setFusionWeights(adapters, weights.narrow(1, t, 1));
            pieces.push_back(model->forwardWithCache(ids.narrow(1, t, 1), cache));
        }
        QVERIFY(relativeError(torch::cat(pieces, 1), full) <= 1e-10);
    }

    void siraWithCapacityReRunsWholeSequences()
    {
        auto model = adaptedModel("gpt2-tiny", "sira", 1.25);
        QVERIFY(!model->supportsKvCache());
        const auto prompts = randomPrompts(3, 6);
        lwb::GenerationOptions options;
        options.maxNewTokens = 20;
        compareWithReference(lwb::generate(*model, prompts, options), referenceDecode(*model, prompts, options));

        // Why: a cached decode routes each pass's tokens as their own group
        // (a capacity of its own), so its logits are not the full forward's.
        torch::NoGradGuard noGrad;
        const auto ids = randomPrompts(3, 12);
        lwb::KvCache cache(model->config().numLayers);
        std::vector<torch::Tensor> pieces{model->forwardWithCache(ids.narrow(1, 0, 6), cache)};
        for (std::int64_t t = 6; t < 12; ++t)
            pieces.push_back(model->forwardWithCache(ids.narrow(1, t, 1), cache));
        QVERIFY(relativeError(torch::cat(pieces, 1), model->forward(ids)) > 1e-4);
    }
};

QTEST_APPLESS_MAIN(TestGeneration)
#include "test_generation.moc"
