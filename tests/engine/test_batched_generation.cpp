// Batched generation of prompts of mixed lengths (engine/model/generation.h):
// left padding, per-row positions and a padding mask in the KV cache.
// - Padded cached logits (float64) equal each row's own unpadded whole-
//   sequence forward at every real position (rel err <= 1e-10), on GPT-2,
//   Llama with GQA and the Llama variants with sliding windows and
//   soft-capping (Mistral, Gemma 2, Phi-3's partial rotary).
// - Greedy float32 decoding of a mixed batch gives, token for token, what
//   decoding each prompt alone gives, for every variant: LoRA (attached and
//   merged), ResLoRA (training form and merged), SiRA with a capacity limit
//   (full-sequence and per-pass decoding; capacity_group "sequence", since
//   "batch" groups count the other rows), SiRA without one, DLP-LoRA's
//   fused adapters with one set of weights per sequence.
// - SiRA's full-sequence decoding equals evaluating each whole sequence in
//   one forward at every step (the reference loop below, one row at a time).
// - Sampling: top-k 1 is greedy; the repetition penalty against the
//   formula applied by hand; stop strings end a row where its text first
//   holds one.
// The reference for every comparison is the model's own whole-sequence
// forward of one unpadded row (test_causal_lm checks that forward against
// transformers).
#include "engine/adapters/adapted_linear.h"
#include "engine/adapters/adapter_registry.h"
#include "engine/adapters/reslora_merge.h"
#include "engine/config/run_config.h"
#include "engine/dlp/routed_generation.h"
#include "engine/dlp/task_lora_library.h"
#include "engine/model/causal_lm.h"
#include "engine/model/generation.h"
#include "engine/model/targetable_modules.h"
#include "engine/tokenizer/byte_tokenizer.h"
#include "tiny_models.h"

#include <QtTest>

#include <memory>

namespace {

double relativeError(const torch::Tensor &actual, const torch::Tensor &expected)
{
    return (actual - expected).norm().item<double>() / std::max(1e-300, expected.norm().item<double>());
}

// `variant` on every default target with random B factors ("" = none).
lwb::CausalLM adaptedModel(const std::string &type, const std::string &variant, double capacityFactor = 0.0)
{
    lwb::CausalLM model(lwb::test::tinyModelConfig(type));
    if (!variant.empty()) {
        lwb::AdapterConfig adapter;
        adapter.variant = variant;
        adapter.targets = lwb::targetableModules(model->config());
        adapter.rank = 4;
        adapter.sira.experts = 4;
        adapter.sira.capacityFactor = capacityFactor;
        // Per-sequence capacity groups: with "batch" groups (the default) a
        // row's capacity counts the other rows' tokens, so a row's answer
        // depends on its batch by definition, in evaluation as in training.
        adapter.sira.capacityGroup = "sequence";
        lwb::attachAdapters(*model, adapter);
        torch::NoGradGuard noGrad;
        for (auto &[name, parameter] : lwb::trainableParameters(*model)) {
            if (name.find("lora_B") != std::string::npos)
                parameter.normal_(0.0, 0.2);
        }
    }
    model->eval();
    return model;
}

// Three task LoRAs on every c_attn, one set of fusion weights per sequence.
struct DlpModel
{
    lwb::CausalLM model{nullptr};
    lwb::FusedAdapters adapters;
};

DlpModel dlpModel()
{
    DlpModel out{lwb::CausalLM(lwb::modelPreset("gpt2-tiny")), {}};
    const auto &config = out.model->config();
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
    out.adapters = lwb::attachFusedLibrary(*out.model, library);
    out.model->eval();
    return out;
}

std::vector<std::vector<std::int64_t>> mixedPrompts(const std::vector<std::int64_t> &lengths)
{
    std::vector<std::vector<std::int64_t>> prompts;
    for (const auto length : lengths) {
        const auto ids = torch::randint(0, 256, {length}, torch::kInt64);
        std::vector<std::int64_t> prompt(ids.data_ptr<std::int64_t>(), ids.data_ptr<std::int64_t>() + length);
        prompt.front() = lwb::ByteTokenizer::kBos;
        prompts.push_back(std::move(prompt));
    }
    return prompts;
}

torch::Tensor row(const std::vector<std::int64_t> &ids)
{
    return torch::tensor(ids, torch::kInt64).unsqueeze(0);
}

// Greedy, one row, every step a whole-sequence forward: what evaluating
// the sequence in one pass gives.
std::vector<std::int64_t> wholeSequenceGreedy(lwb::CausalLMImpl &model, std::vector<std::int64_t> ids,
                                              std::int64_t steps)
{
    torch::NoGradGuard noGrad;
    std::vector<std::int64_t> out;
    for (std::int64_t s = 0; s < steps; ++s) {
        const auto logits = model.forward(row(ids));
        out.push_back(logits[0][logits.size(1) - 1].argmax().item<std::int64_t>());
        ids.push_back(out.back());
    }
    return out;
}

} // namespace

class TestBatchedGeneration : public QObject
{
    Q_OBJECT

private slots:
    void init() { torch::manual_seed(23); }

    void paddedCachedLogitsMatchEachRowAlone_data()
    {
        QTest::addColumn<QString>("type");
        for (const char *type : {"gpt2", "llama", "mistral", "gemma2", "phi3"})
            QTest::newRow(type) << type;
    }

    void paddedCachedLogitsMatchEachRowAlone()
    {
        QFETCH(QString, type);
        auto model = adaptedModel(type.toStdString(), "lora");
        model->to(torch::kFloat64);
        torch::NoGradGuard noGrad;
        // Whole sequences of 7, 11, 4 real tokens: a prompt part, left-padded
        // to the longest, then 5 more tokens one by one and 2 at once.
        const std::vector<std::int64_t> promptLengths{3, 7, 1};
        const auto sequences = mixedPrompts({10, 14, 8});
        const std::int64_t columns = 7;
        auto prompt = torch::zeros({3, columns}, torch::kInt64);
        auto mask = torch::zeros({3, columns}, torch::kBool);
        for (std::int64_t r = 0; r < 3; ++r) {
            const auto n = promptLengths[static_cast<std::size_t>(r)];
            prompt[r].narrow(0, columns - n, n).copy_(row(sequences[static_cast<std::size_t>(r)]).narrow(1, 0, n)[0]);
            mask[r].narrow(0, columns - n, n).fill_(true);
        }
        lwb::KvCache cache(model->config().numLayers);
        std::vector<torch::Tensor> pieces{model->forwardWithCache(prompt, cache, mask)};
        std::int64_t done = 0;
        for (const std::int64_t width : {1, 1, 1, 1, 1, 2}) {
            auto next = torch::empty({3, width}, torch::kInt64);
            for (std::int64_t r = 0; r < 3; ++r)
                next[r] = row(sequences[static_cast<std::size_t>(r)])
                              .narrow(1, promptLengths[static_cast<std::size_t>(r)] + done, width)[0];
            pieces.push_back(model->forwardWithCache(next, cache));
            done += width;
        }
        const auto cached = torch::cat(pieces, 1);
        for (std::int64_t r = 0; r < 3; ++r) {
            const auto n = promptLengths[static_cast<std::size_t>(r)];
            const auto alone = model->forward(row(sequences[static_cast<std::size_t>(r)]).narrow(1, 0, n + done));
            const auto mine = cached[r].narrow(0, columns - n, n + done).unsqueeze(0);
            QVERIFY2(relativeError(mine, alone) <= 1e-10,
                     qPrintable(QString("row %1: %2").arg(r).arg(relativeError(mine, alone))));
        }
    }

    void batchedEqualsOneByOne_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("variant");
        QTest::addColumn<QString>("form"); // attached | merged | per_pass | full_sequence | rerun
        QTest::addColumn<double>("capacityFactor");
        QTest::newRow("gpt2 lora") << "gpt2"
                                   << "lora"
                                   << "attached" << 0.0;
        QTest::newRow("llama lora") << "llama"
                                    << "lora"
                                    << "attached" << 0.0;
        QTest::newRow("llama lora merged") << "llama"
                                           << "lora"
                                           << "merged" << 0.0;
        QTest::newRow("gemma2 lora") << "gemma2"
                                     << "lora"
                                     << "attached" << 0.0;
        QTest::newRow("mistral lora uncached") << "mistral"
                                               << "lora"
                                               << "rerun" << 0.0;
        QTest::newRow("llama reslora") << "llama"
                                       << "reslora"
                                       << "attached" << 0.0;
        QTest::newRow("llama reslora merged") << "llama"
                                              << "reslora"
                                              << "merged" << 0.0;
        QTest::newRow("gpt2 sira no capacity") << "gpt2"
                                               << "sira"
                                               << "attached" << 0.0;
        QTest::newRow("gpt2 sira full sequence") << "gpt2"
                                                 << "sira"
                                                 << "full_sequence" << 1.25;
        QTest::newRow("llama sira per pass") << "llama"
                                             << "sira"
                                             << "per_pass" << 1.25;
    }

    void batchedEqualsOneByOne()
    {
        QFETCH(QString, type);
        QFETCH(QString, variant);
        QFETCH(QString, form);
        QFETCH(double, capacityFactor);
        auto model = adaptedModel(type.toStdString(), variant.toStdString(), capacityFactor);
        std::unique_ptr<lwb::MergedResLoraSwap> swap;
        if (form == "merged") {
            if (variant == "reslora")
                swap = std::make_unique<lwb::MergedResLoraSwap>(*model);
            for (auto &layer : lwb::adaptedLayers(*model))
                layer.layer->merge();
        }
        lwb::GenerationOptions options;
        options.maxNewTokens = 12;
        options.useKvCache = form != "rerun";
        options.routedDecoding = form == "per_pass" ? lwb::RoutedDecoding::PerPass : lwb::RoutedDecoding::FullSequence;
        const auto prompts = mixedPrompts({3, 9, 5, 12, 1, 7});
        const auto batched = lwb::generate(*model, prompts, torch::kCPU, options);
        QCOMPARE(batched.size(), prompts.size());
        for (std::size_t r = 0; r < prompts.size(); ++r) {
            const auto alone = lwb::generate(*model, row(prompts[r]), options);
            QCOMPARE(batched[r].tokens, alone[0].tokens);
            QCOMPARE(static_cast<std::int64_t>(alone[0].tokens.size()), options.maxNewTokens);
        }
    }

    void dlpPerSequenceWeightsBatchedEqualsOneByOne()
    {
        auto dlp = dlpModel();
        lwb::GenerationOptions options;
        options.maxNewTokens = 10;
        const auto prompts = mixedPrompts({4, 10, 2, 7});
        const auto weights = torch::softmax(torch::randn({4, 3}), -1);
        lwb::setFusionWeights(dlp.adapters, weights);
        const auto batched = lwb::generate(*dlp.model, prompts, torch::kCPU, options);
        for (std::size_t r = 0; r < prompts.size(); ++r) {
            lwb::setFusionWeights(dlp.adapters, weights.narrow(0, static_cast<std::int64_t>(r), 1));
            QCOMPARE(batched[r].tokens, lwb::generate(*dlp.model, row(prompts[r]), options)[0].tokens);
        }
    }

    void siraFullSequenceDecodingIsWholeSequenceEvaluation()
    {
        // The option's one exact value: each step's logits are those of the
        // whole sequence so far in one forward (the capacity counting every
        // token), batched or not.
        auto model = adaptedModel("gpt2", "sira", 1.0);
        QVERIFY(!model->supportsKvCache());
        lwb::GenerationOptions options;
        options.maxNewTokens = 10;
        options.routedDecoding = lwb::RoutedDecoding::FullSequence;
        const auto prompts = mixedPrompts({6, 2, 11});
        const auto batched = lwb::generate(*model, prompts, torch::kCPU, options);
        for (std::size_t r = 0; r < prompts.size(); ++r)
            QCOMPARE(batched[r].tokens, wholeSequenceGreedy(*model, prompts[r], options.maxNewTokens));
        // Per pass is another model: somewhere its tokens part from it.
        options.routedDecoding = lwb::RoutedDecoding::PerPass;
        const auto perPass = lwb::generate(*model, prompts, torch::kCPU, options);
        bool differs = false;
        for (std::size_t r = 0; r < prompts.size(); ++r)
            differs = differs || perPass[r].tokens != batched[r].tokens;
        QVERIFY(differs);
    }

    void topKOneIsGreedy()
    {
        auto model = adaptedModel("llama", "lora");
        const auto prompts = mixedPrompts({4, 8});
        lwb::GenerationOptions greedy;
        greedy.maxNewTokens = 10;
        auto sampled = greedy;
        sampled.temperature = 1.3;
        sampled.topK = 1;
        const auto a = lwb::generate(*model, prompts, torch::kCPU, greedy);
        const auto b = lwb::generate(*model, prompts, torch::kCPU, sampled);
        for (std::size_t r = 0; r < prompts.size(); ++r)
            QCOMPARE(b[r].tokens, a[r].tokens);
    }

    void repetitionPenaltyAsTheFormula()
    {
        auto model = adaptedModel("gpt2", "lora");
        const auto prompt = mixedPrompts({6})[0];
        lwb::GenerationOptions options;
        options.maxNewTokens = 8;
        options.repetitionPenalty = 1.8;
        const auto generated
            = lwb::generate(*model, std::vector<std::vector<std::int64_t>>{prompt}, torch::kCPU, options)[0].tokens;
        // By hand: each step, the logits of every token already held divided
        // by 1.8 when positive, times 1.8 when negative, then argmax.
        torch::NoGradGuard noGrad;
        auto ids = prompt;
        std::vector<std::int64_t> expected;
        for (std::int64_t s = 0; s < options.maxNewTokens; ++s) {
            auto logits = model->forward(row(ids))[0][static_cast<std::int64_t>(ids.size()) - 1].clone();
            std::set<std::int64_t> held(ids.begin(), ids.end());
            for (const auto token : held) {
                const double value = logits[token].item<double>();
                logits[token] = value < 0 ? value * 1.8 : value / 1.8;
            }
            expected.push_back(logits.argmax().item<std::int64_t>());
            ids.push_back(expected.back());
        }
        QCOMPARE(generated, expected);
        options.repetitionPenalty = 1.0;
        QVERIFY(lwb::generate(*model, std::vector<std::vector<std::int64_t>>{prompt}, torch::kCPU, options)[0].tokens
                != generated);
    }

    void stopStringsEndARow()
    {
        auto model = adaptedModel("gpt2", "lora");
        const auto prompts = mixedPrompts({5, 3});
        lwb::GenerationOptions options;
        options.maxNewTokens = 12;
        const auto open = lwb::generate(*model, prompts, torch::kCPU, options);
        // Text = the token ids as "<id>"; stop at row 0's 4th and 5th tokens.
        options.detokenize = [](const std::vector<std::int64_t> &tokens) {
            std::string text;
            for (const auto token : tokens)
                text += "<" + std::to_string(token) + ">";
            return text;
        };
        const auto stop = "<" + std::to_string(open[0].tokens[3]) + "><" + std::to_string(open[0].tokens[4]) + ">";
        options.stopStrings = {stop};
        const auto stopped = lwb::generate(*model, prompts, torch::kCPU, options);
        QVERIFY(stopped[0].finished);
        QCOMPARE(stopped[0].stopString, stop);
        // Up to the first place the text holds it (maybe earlier than token 4).
        const auto text = options.detokenize(open[0].tokens);
        const auto end = text.find(stop) + stop.size();
        QCOMPARE(options.detokenize(stopped[0].tokens), text.substr(0, end));
        // The other row runs on unless it holds the string too.
        if (options.detokenize(open[1].tokens).find(stop) == std::string::npos)
            QCOMPARE(stopped[1].tokens, open[1].tokens);
        options.detokenize = nullptr;
        QVERIFY_THROWS_EXCEPTION(std::exception, lwb::generate(*model, prompts, torch::kCPU, options));
    }
};

QTEST_APPLESS_MAIN(TestBatchedGeneration)
#include "test_batched_generation.moc"
