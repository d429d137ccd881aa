// CausalLM: Hugging Face's parameter names, causality, grouped-query
// attention and tied embeddings, and the built-in model starts identical
// for every run.
#include "engine/model/causal_lm.h"

#include <QtTest>

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

private slots:
    void gpt2NamesFollowHuggingFace()
    {
        lwb::CausalLM model(lwb::modelPreset("gpt2-tiny"));
        const auto n = names(model);
        for (const char *key : {"transformer.wte.weight", "transformer.wpe.weight", "transformer.h.0.ln_1.weight",
                                "transformer.h.0.ln_1.bias", "transformer.h.0.attn.c_attn.weight",
                                "transformer.h.0.attn.c_attn.bias", "transformer.h.0.attn.c_proj.weight",
                                "transformer.h.3.mlp.c_fc.weight", "transformer.h.3.mlp.c_proj.bias",
                                "transformer.ln_f.weight"})
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
        QVERIFY(!torch::equal(a->named_parameters()["transformer.wte.weight"], c->named_parameters()["transformer.wte.weight"]));
    }
};

QTEST_APPLESS_MAIN(TestCausalLm)
#include "test_causal_lm.moc"
