// Hugging Face checkpoints of each family (tests/fixtures/hf, saved by
// transformers 5.25.0) load and give the float64 logits transformers itself
// computes on them (make_hf_fixtures.py) to 1e-5 relative in float32, with
// every config value honoured (llama's rope_theta 500000 is where
// transformers 5 writes it, in rope_parameters); values the decoder cannot
// honour are refused by name, and every variant's config.json round-trips.
// (The newer model types against transformers: tests/interop/check_models.py.)
//
// The loader's other error paths (unsupported model_type, unknown or missing
// tensors) are covered by test_model_export.
#include "engine/model/hf_checkpoint.h"
#include "engine/model/targetable_modules.h"
#include "engine/tensor_io/safetensors_reader.h"

#include "error_capture.h"

#include <QtTest>

#include <nlohmann/json.hpp>

#include <fstream>
#include <tuple>

namespace {

std::string fixtureDir(const std::string &name)
{
    return std::string(qgetenv("LWB_SOURCE_DIR").constData()) + "/tests/fixtures/hf/" + name;
}

// What config.json of each fixture says (make_hf_fixtures.py main()).
struct Expected
{
    lwb::Architecture architecture;
    std::int64_t vocabSize;
    std::int64_t numHeads;
    std::int64_t numKvHeads;
    std::int64_t intermediateSize;
    bool tieWordEmbeddings;
    bool attentionBias;
    double ropeTheta; // the default where the family has no rotary embedding
    double normEps;
};

} // namespace

Q_DECLARE_METATYPE(Expected)

class TestHfCheckpoint : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QVERIFY2(!qgetenv("LWB_SOURCE_DIR").isEmpty(), "run through ctest: LWB_SOURCE_DIR names the source tree");
    }

    void logitsMatchTheFloat64Reference_data()
    {
        QTest::addColumn<Expected>("expected");
        // Conv1D [in, out], "transformer." keys, tied, n_inner 64.
        QTest::newRow("gpt2") << Expected{lwb::Architecture::Gpt2, 311, 4, 4, 64, true, true, 10000.0, 1e-5};
        // Keys without "transformer.", mask buffers, float16, n_inner absent (4 x 32).
        QTest::newRow("gpt2-hub") << Expected{lwb::Architecture::Gpt2, 257, 2, 2, 128, true, true, 10000.0, 1e-3};
        // Grouped-query attention, untied lm_head.
        QTest::newRow("llama") << Expected{lwb::Architecture::Llama, 263, 4, 2, 48, false, false, 500000.0, 1e-5};
        // q/k/v biases, tied embeddings.
        QTest::newRow("qwen2") << Expected{lwb::Architecture::Llama, 320, 4, 2, 56, true, true, 1000000.0, 1e-6};
    }

    void logitsMatchTheFloat64Reference()
    {
        QFETCH(Expected, expected);
        const std::string family = QTest::currentDataTag();
        const auto folder = fixtureDir(family);
        auto model = lwb::loadHfCausalLM(folder);

        const auto &config = model->config();
        QCOMPARE(config.architecture, expected.architecture);
        QCOMPARE(config.vocabSize, expected.vocabSize);
        QCOMPARE(config.hiddenSize, std::int64_t(32));
        QCOMPARE(config.numLayers, std::int64_t(2));
        QCOMPARE(config.numHeads, expected.numHeads);
        QCOMPARE(config.numKvHeads, expected.numKvHeads);
        QCOMPARE(config.intermediateSize, expected.intermediateSize);
        QCOMPARE(config.tieWordEmbeddings, expected.tieWordEmbeddings);
        QCOMPARE(config.attentionBias, expected.attentionBias);
        QCOMPARE(config.ropeTheta, expected.ropeTheta);
        QCOMPARE(config.normEps, expected.normEps);

        const lwb::SafetensorsReader reference(folder + "/reference.safetensors");
        const auto ids
            = nlohmann::json::parse(reference.metadata().at("input_ids")).get<std::vector<std::vector<std::int64_t>>>();
        auto input = torch::empty({std::int64_t(ids.size()), std::int64_t(ids[0].size())}, torch::kInt64);
        for (std::size_t b = 0; b < ids.size(); ++b)
            for (std::size_t t = 0; t < ids[b].size(); ++t)
                input[b][t] = ids[b][t];
        const auto expectedLogits = reference.load("logits").to(torch::kFloat64);

        torch::NoGradGuard noGrad;
        const auto logits = model->forward(input);
        QVERIFY(logits.scalar_type() == torch::kFloat32);
        QVERIFY(logits.sizes() == expectedLogits.sizes());
        const auto error = (logits.to(torch::kFloat64) - expectedLogits).abs().max().item<double>()
                           / expectedLogits.abs().max().item<double>();
        qInfo("%s: max |ours - ref| / max |ref| = %.3g (float32 against float64)", family.c_str(), error);
        QVERIFY2(error <= 1e-5, std::to_string(error).c_str());
    }

    void configValuesTheDecoderCannotHonourAreRefused()
    {
        // Each would change the logits; the loader must not read past it.
        const auto refused = [](const std::string &family, const char *key, const nlohmann::json &value) {
            auto config = nlohmann::json::parse(std::ifstream(fixtureDir(family) + "/config.json"));
            config[key] = value;
            return lwb::test::errorOf([&] { lwb::modelConfigFromHf(config, "config.json"); });
        };
        for (const auto &[family, key, value] :
             {std::tuple<std::string, const char *, nlohmann::json>{"gpt2", "scale_attn_weights", false},
              {"gpt2", "scale_attn_by_inverse_layer_idx", true},
              {"qwen2", "layer_types", {"full_attention"}}, // 2 layers
              {"llama", "mlp_bias", true},
              {"llama", "partial_rotary_factor", 0.5},
              {"llama", "rope_scaling", {{"rope_type", "llama3"}, {"factor", 8.0}}}, // no low/high_freq_factor
              {"llama", "rope_scaling", {{"rope_type", "yarn"}, {"factor", 4.0}}},
              {"llama", "rope_scaling", {{"rope_type", "dynamic"}, {"factor", 2.0}}}}) {
            const auto error = refused(family, key, value);
            QVERIFY2(lwb::test::contains(error, std::string("config.json: ") + key), error.c_str());
        }
    }

    void unknownModelTypeListsTheSupportedOnes()
    {
        const auto error = lwb::test::errorOf([] { lwb::modelConfigFromHf({{"model_type", "mamba"}}, "config.json"); });
        QVERIFY2(lwb::test::contains(error, "config.json: model_type"), error.c_str());
        for (const auto &type : lwb::supportedModelTypes())
            QVERIFY2(lwb::test::contains(error, type), error.c_str());
    }

    void configJsonRoundTripsEveryVariant()
    {
        // What hfConfigJson writes, modelConfigFromHf reads back field by
        // field (merged exports of these models rely on it; that transformers
        // loads them is tests/interop/check_peft_export.py's part).
        auto gemma2 = lwb::modelPreset("llama-tiny");
        gemma2.preset = "";
        gemma2.modelType = "gemma2";
        gemma2.headDimension = 16;
        gemma2.hiddenActivation = "gelu_pytorch_tanh";
        gemma2.normPlusOne = gemma2.scaleEmbeddings = gemma2.sandwichNorms = true;
        gemma2.attentionSoftcap = 50.0;
        gemma2.finalLogitSoftcap = 30.0;
        gemma2.queryPreAttnScalar = 16.0;
        gemma2.slidingWindow = 8;
        gemma2.slidingLayers = {true, false, true, false};
        auto llama3 = lwb::modelPreset("llama-tiny");
        llama3.preset = "";
        llama3.modelType = "llama";
        llama3.ropeScaling = {"llama3", 8.0, 1.0, 4.0, 64};
        auto phi3 = lwb::modelPreset("llama-tiny");
        phi3.preset = "";
        phi3.modelType = "phi3";
        phi3.fusedProjections = true;
        phi3.partialRotaryFactor = 0.5;
        phi3.slidingWindow = 9;
        auto neox = lwb::modelPreset("llama-tiny");
        neox.preset = "";
        neox.modelType = "gpt_neox";
        neox.numKvHeads = neox.numHeads;
        neox.attentionBias = neox.attentionOutputBias = true;
        neox.partialRotaryFactor = 0.25;
        neox.hiddenActivation = "gelu";
        neox.parallelResidual = true;
        for (const auto &model : {gemma2, llama3, phi3, neox}) {
            const auto back = lwb::modelConfigFromHf(lwb::hfConfigJson(model, "float32"), "config.json");
            QCOMPARE(back.modelType, model.modelType);
            QCOMPARE(back.headDim(), model.headDim());
            QCOMPARE(back.ropeScaling.type, model.ropeScaling.type);
            QCOMPARE(back.ropeScaling.factor, model.ropeScaling.factor);
            QCOMPARE(back.ropeScaling.originalMaxPositions, model.ropeScaling.originalMaxPositions);
            QCOMPARE(back.partialRotaryFactor, model.partialRotaryFactor);
            QCOMPARE(back.hiddenActivation, model.hiddenActivation);
            QCOMPARE(back.normPlusOne, model.normPlusOne);
            QCOMPARE(back.sandwichNorms, model.sandwichNorms);
            QCOMPARE(back.attentionSoftcap, model.attentionSoftcap);
            QCOMPARE(back.finalLogitSoftcap, model.finalLogitSoftcap);
            QCOMPARE(back.queryPreAttnScalar, model.queryPreAttnScalar);
            QCOMPARE(back.fusedProjections, model.fusedProjections);
            QCOMPARE(back.parallelResidual, model.parallelResidual);
            QCOMPARE(back.attentionOutputBias, model.attentionOutputBias);
            QCOMPARE(back.numKvHeads, model.numKvHeads);
            for (std::int64_t layer = 0; layer < model.numLayers; ++layer)
                QCOMPARE(back.slidingWindowOf(layer), model.slidingWindowOf(layer));
        }
    }

    void gptNeoxReadsPythiasOlderKeys()
    {
        // Pythia's published config.json (transformers 4) names the rotary
        // share and base rotary_pct / rotary_emb_base at the top level;
        // GPTNeoXConfig takes them when rope_parameters lacks them, and
        // defaults the share to 0.25 (configuration_gpt_neox.py, 5.25).
        nlohmann::json pythia
            = {{"model_type", "gpt_neox"},        {"vocab_size", 50304},      {"hidden_size", 512},
               {"num_hidden_layers", 6},          {"num_attention_heads", 8}, {"intermediate_size", 2048},
               {"max_position_embeddings", 2048}, {"rotary_pct", 0.5},        {"rotary_emb_base", 5000},
               {"use_parallel_residual", true},   {"hidden_act", "gelu"},     {"layer_norm_eps", 1e-5},
               {"tie_word_embeddings", false}};
        auto model = lwb::modelConfigFromHf(pythia, "config.json");
        QCOMPARE(model.partialRotaryFactor, 0.5);
        QCOMPARE(model.ropeTheta, 5000.0);
        QCOMPARE(model.numKvHeads, std::int64_t(8));
        QVERIFY(model.gptNeox() && model.parallelResidual && model.attentionBias && model.attentionOutputBias);
        QCOMPARE(lwb::targetableModules(model),
                 (std::vector<std::string>{"query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"}));
        pythia.erase("rotary_pct");
        QCOMPARE(lwb::modelConfigFromHf(pythia, "config.json").partialRotaryFactor, 0.25);
        pythia["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 20000.0}, {"partial_rotary_factor", 1.0}};
        model = lwb::modelConfigFromHf(pythia, "config.json"); // the dict wins over the older keys
        QCOMPARE(model.ropeTheta, 20000.0);
        QCOMPARE(model.partialRotaryFactor, 1.0);
        pythia["hidden_act"] = "relu";
        const auto error = lwb::test::errorOf([&] { lwb::modelConfigFromHf(pythia, "config.json"); });
        QVERIFY2(lwb::test::contains(error, "config.json: hidden_act") && lwb::test::contains(error, "relu"),
                 error.c_str());
    }

    void hubGpt2FixtureHasTheHubLayout()
    {
        // Keeps the fixture honest: it really exercises the prefix-less keys,
        // the ignored mask buffers and float16 storage.
        const lwb::SafetensorsReader file(fixtureDir("gpt2-hub") + "/model.safetensors");
        QVERIFY(file.contains("h.0.attn.c_attn.weight"));
        QVERIFY(file.contains("h.1.attn.bias"));
        QVERIFY(!file.contains("transformer.wte.weight"));
        QCOMPARE(file.info("wte.weight").dtype, lwb::SafetensorsDtype::F16);
        QCOMPARE(file.info("h.0.attn.c_attn.weight").shape, (std::vector<std::int64_t>{32, 96}));
    }
};

QTEST_APPLESS_MAIN(TestHfCheckpoint)
#include "test_hf_checkpoint.moc"
