// CausalLM: Hugging Face's parameter names, causality, grouped-query
// attention and tied embeddings, and the built-in model starts identical
// for every run; the Llama variants' module names (targetableModules is the
// list of the linear layers the model registers), sliding windows that cut
// what a query sees, and the KV cache agreeing with the whole-sequence
// forward under windows and soft-capping.
// (Their logits against transformers: tests/interop/check_models.py.)
#include "engine/model/causal_lm.h"
#include "engine/model/targetable_modules.h"
#include "tiny_models.h"

#include <QtTest>

using lwb::test::tinyModelConfig;

class TestCausalLm : public QObject
{
    Q_OBJECT

private:
    static std::set<std::string> names(lwb::CausalLM &model)
    {
        std::set<std::string> out;
        for (const auto &item : model->named_parameters())
            out.insert(item.key());
        return out;
    }

    static std::set<std::string> linearLeafNames(lwb::CausalLM &model)
    {
        std::set<std::string> out;
        for (const auto &item : model->named_modules()) {
            if (std::dynamic_pointer_cast<lwb::AdaptedLinearImpl>(item.value()))
                out.insert(item.key().substr(item.key().rfind('.') + 1));
        }
        return out;
    }

private slots:
    void targetableModulesAreTheModelsLinearLayers()
    {
        for (const char *type : {"gpt2", "llama", "mistral", "qwen3", "gemma2", "phi3"}) {
            const auto config = tinyModelConfig(type);
            lwb::CausalLM model(config);
            const auto listed = lwb::targetableModules(config);
            QCOMPARE(std::set<std::string>(listed.begin(), listed.end()), linearLeafNames(model));
        }
        const auto phi3 = lwb::targetableModules(tinyModelConfig("phi3"));
        QCOMPARE(phi3, (std::vector<std::string>{"qkv_proj", "o_proj", "gate_up_proj", "down_proj"}));
    }

    void variantsNameTheirModulesAsHuggingFace()
    {
        lwb::CausalLM gemma2(tinyModelConfig("gemma2"));
        auto n = names(gemma2);
        for (const char *key :
             {"model.layers.0.pre_feedforward_layernorm.weight", "model.layers.0.post_feedforward_layernorm.weight",
              "model.layers.0.post_attention_layernorm.weight"})
            QVERIFY2(n.count(key), key);
        QCOMPARE(gemma2->named_parameters()["model.layers.0.self_attn.q_proj.weight"].size(0), std::int64_t(4 * 16));
        QCOMPARE(gemma2->named_parameters()["model.layers.0.self_attn.o_proj.weight"].size(1), std::int64_t(4 * 16));
        lwb::CausalLM qwen3(tinyModelConfig("qwen3"));
        n = names(qwen3);
        QVERIFY(n.count("model.layers.1.self_attn.q_norm.weight"));
        QCOMPARE(qwen3->named_parameters()["model.layers.1.self_attn.k_norm.weight"].size(0), std::int64_t(48));
        lwb::CausalLM phi3(tinyModelConfig("phi3"));
        const auto config = tinyModelConfig("phi3");
        // q | k | v rows: 128 + 2 x (2 kv heads x 32).
        QCOMPARE(phi3->named_parameters()["model.layers.0.self_attn.qkv_proj.weight"].size(0),
                 std::int64_t(128 + 2 * 64));
        QCOMPARE(phi3->named_parameters()["model.layers.0.mlp.gate_up_proj.weight"].size(0),
                 2 * config.intermediateSize);
    }

    void slidingWindowCutsWhatAQuerySees()
    {
        // One layer, window 4: token 0 reaches positions 0..3 and no further.
        auto config = tinyModelConfig("mistral");
        config.numLayers = 1;
        lwb::CausalLM model(config);
        model->to(torch::kFloat64);
        model->eval();
        torch::NoGradGuard noGrad;
        torch::manual_seed(4);
        auto ids = torch::randint(0, 256, {1, 10}, torch::kInt64);
        const auto before = model->forward(ids);
        ids[0][0] = (ids[0][0].item<std::int64_t>() + 1) % 256;
        const auto after = model->forward(ids);
        QVERIFY(!torch::equal(before.narrow(1, 3, 1), after.narrow(1, 3, 1)));
        QVERIFY(torch::equal(before.narrow(1, 4, 6), after.narrow(1, 4, 6)));
    }

    void cachedDecodingMatchesTheWholeSequence_data()
    {
        QTest::addColumn<QString>("type");
        for (const char *type : {"mistral", "qwen3", "gemma2", "phi3"})
            QTest::newRow(type) << type;
    }

    void cachedDecodingMatchesTheWholeSequence()
    {
        // A prompt of 3, then one token at a time past every window: the
        // cache's masks must be the whole sequence's rows.
        QFETCH(QString, type);
        lwb::CausalLM model(tinyModelConfig(type.toStdString()));
        model->to(torch::kFloat64);
        model->eval();
        torch::NoGradGuard noGrad;
        torch::manual_seed(5);
        const auto ids = torch::randint(0, 256, {2, 11}, torch::kInt64);
        const auto whole = model->forward(ids);
        lwb::KvCache cache(model->config().numLayers);
        std::vector<torch::Tensor> pieces{model->forwardWithCache(ids.narrow(1, 0, 3), cache)};
        pieces.push_back(model->forwardWithCache(ids.narrow(1, 3, 2), cache)); // two new after a cache
        for (std::int64_t t = 5; t < 11; ++t)
            pieces.push_back(model->forwardWithCache(ids.narrow(1, t, 1), cache));
        const auto cached = torch::cat(pieces, 1);
        const auto error = (cached - whole).abs().max().item<double>() / whole.abs().max().item<double>();
        QVERIFY2(error <= 1e-12, std::to_string(error).c_str());
    }

    void gpt2NamesFollowHuggingFace()
    {
        lwb::CausalLM model(lwb::modelPreset("gpt2-tiny"));
        const auto n = names(model);
        for (const char *key :
             {"transformer.wte.weight", "transformer.wpe.weight", "transformer.h.0.ln_1.weight",
              "transformer.h.0.ln_1.bias", "transformer.h.0.attn.c_attn.weight", "transformer.h.0.attn.c_attn.bias",
              "transformer.h.0.attn.c_proj.weight", "transformer.h.3.mlp.c_fc.weight",
              "transformer.h.3.mlp.c_proj.bias", "transformer.ln_f.weight"})
            QVERIFY2(n.count(key), key);
        QVERIFY(!n.count("lm_head.weight")); // tied
    }

    void llamaNamesFollowHuggingFace()
    {
        lwb::CausalLM model(lwb::modelPreset("llama-tiny"));
        const auto n = names(model);
        for (const char *key : {"model.embed_tokens.weight", "model.layers.0.input_layernorm.weight",
                                "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight",
                                "model.layers.0.self_attn.v_proj.weight", "model.layers.0.self_attn.o_proj.weight",
                                "model.layers.0.post_attention_layernorm.weight", "model.layers.3.mlp.gate_proj.weight",
                                "model.layers.3.mlp.up_proj.weight", "model.layers.3.mlp.down_proj.weight",
                                "model.norm.weight", "lm_head.weight"})
            QVERIFY2(n.count(key), key);
        QVERIFY(!n.count("model.layers.0.self_attn.q_proj.bias"));
        // Grouped-query attention: k/v project to num_kv_heads * head_dim.
        const auto config = lwb::modelPreset("llama-tiny");
        const auto k = model->named_parameters()["model.layers.0.self_attn.k_proj.weight"];
        QCOMPARE(k.size(0), config.numKvHeads * config.headDim());
    }

    void futureTokensDoNotChangeThePast_data()
    {
        QTest::addColumn<QString>("preset");
        QTest::newRow("gpt2") << "gpt2-tiny";
        QTest::newRow("llama") << "llama-tiny";
    }

    void futureTokensDoNotChangeThePast()
    {
        QFETCH(QString, preset);
        lwb::CausalLM model(lwb::modelPreset(preset.toStdString()));
        model->to(torch::kFloat64);
        model->eval();
        torch::manual_seed(3);
        auto ids = torch::randint(0, 256, {2, 12}, torch::kInt64);
        const auto before = model->forward(ids);
        QCOMPARE(before.sizes(), (torch::IntArrayRef{2, 12, 259}));
        ids.narrow(1, 8, 4).fill_(65);
        const auto after = model->forward(ids);
        QVERIFY(torch::equal(before.narrow(1, 0, 8), after.narrow(1, 0, 8)));
        QVERIFY(!torch::equal(before.narrow(1, 8, 4), after.narrow(1, 8, 4)));
    }

    void sameSeedSameBase()
    {
        lwb::CausalLM a(lwb::modelPreset("gpt2-tiny"));
        torch::manual_seed(99); // the caller's generator does not matter
        lwb::CausalLM b(lwb::modelPreset("gpt2-tiny"));
        const auto pa = a->named_parameters();
        const auto pb = b->named_parameters();
        for (const auto &item : pa)
            QVERIFY2(torch::equal(item.value(), pb[item.key()]), item.key().c_str());
        auto other = lwb::modelPreset("gpt2-tiny");
        other.initSeed = 5;
        lwb::CausalLM c(other);
        QVERIFY(!torch::equal(a->named_parameters()["transformer.wte.weight"],
                              c->named_parameters()["transformer.wte.weight"]));
    }
};

QTEST_APPLESS_MAIN(TestCausalLm)
#include "test_causal_lm.moc"
