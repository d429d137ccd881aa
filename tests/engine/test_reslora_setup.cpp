// ResLoRA's setup around the numerics (test_reslora.cpp): chains keyed by
// target type with links only between equal shapes (Llama with grouped-query
// attention, a shape change), the norm windows restored exactly from a
// checkpoint, and the "adapter.reslora" config's errors and round trip.
#include "engine/adapters/adapter_registry.h"
#include "engine/adapters/reslora_adapter.h"
#include "engine/adapters/reslora_merge.h"
#include "engine/model/causal_lm.h"
#include "engine/train/checkpoint.h"

#include <QTemporaryDir>
#include <QtTest>

#include <torch/optim/adamw.h>

#include <map>

namespace {

using lwb::ResLoraAdapterImpl;

lwb::ResLoraConfig resloraConfig(const std::string &variant, std::int64_t preNum, std::int64_t window)
{
    lwb::ResLoraConfig config;
    config.variant = variant;
    config.preNum = preNum;
    config.window = window;
    return config;
}

} // namespace

class TestResLoraSetup : public QObject
{
    Q_OBJECT

private slots:
    void init() { torch::manual_seed(5); }

    void checkpointKeepsTheNormWindows()
    {
        lwb::ModelConfig model = lwb::modelPreset("gpt2-tiny");
        model.hiddenSize = 32;
        model.numLayers = 2;
        model.intermediateSize = 64;
        lwb::AdapterConfig adapter;
        adapter.variant = "reslora";
        adapter.targets = {"c_attn", "c_proj"};
        adapter.reslora = resloraConfig("ms", 1, 4);
        QTemporaryDir dir;

        lwb::CausalLM trained(model);
        lwb::attachAdapters(*trained, adapter);
        torch::optim::AdamW optimizer(trained->parameters(), torch::optim::AdamWOptions(1e-3));
        trained->train();
        for (int batch = 0; batch < 3; ++batch)
            trained->forward(torch::randint(0, 200, {2, 7}, torch::kInt64)).sum().backward();
        const auto path = lwb::saveCheckpoint(dir.path().toStdString(), 3, "{}", *trained, optimizer);

        torch::manual_seed(99); // other initial factors: everything must come from the file
        lwb::CausalLM resumed(model);
        lwb::attachAdapters(*resumed, adapter);
        torch::optim::AdamW resumedOptimizer(resumed->parameters(), torch::optim::AdamWOptions(1e-3));
        lwb::loadCheckpoint(path, *resumed, resumedOptimizer);

        const auto a = lwb::adaptedLayers(*trained), b = lwb::adaptedLayers(*resumed);
        QCOMPARE(a.size(), b.size());
        for (std::size_t i = 0; i < a.size(); ++i) {
            const auto &x = *std::dynamic_pointer_cast<ResLoraAdapterImpl>(a[i].layer->adapter());
            const auto &y = *std::dynamic_pointer_cast<ResLoraAdapterImpl>(b[i].layer->adapter());
            QVERIFY(x.meanInputNorm() > 0.0);
            QCOMPARE(y.meanInputNorm(), x.meanInputNorm());
            QCOMPARE(y.meanHiddenNorm(), x.meanHiddenNorm());
            QVERIFY(torch::equal(x.inputNormWindow.isnan(), y.inputNormWindow.isnan()));
        }
        // 2 blocks x (c_attn, attn.c_proj, mlp.c_proj) x (input, A x) windows, all in the checkpoint.
        std::size_t windows = 0;
        for (const auto &item : resumed->named_buffers())
            windows += item.key().find(".adapter.") != std::string::npos ? 1 : 0;
        QCOMPARE(windows, std::size_t(12));
        const auto before = lwb::mergedResLoraLayers(*trained), after = lwb::mergedResLoraLayers(*resumed);
        for (std::size_t i = 0; i < before.size(); ++i)
            QVERIFY(torch::equal(before[i].lora.loraB, after[i].lora.loraB));
    }

    void chainsFollowTargetTypes()
    {
        QCOMPARE(lwb::resLoraChainKey("transformer.h.3.attn.c_attn", 3), std::string("transformer.h.*.attn.c_attn"));
        QCOMPARE(lwb::resLoraChainKey("model.layers.12.mlp.up_proj", 12), std::string("model.layers.*.mlp.up_proj"));
        QCOMPARE(lwb::resLoraChainKey("lm_head", -1), std::string("lm_head"));

        // Llama with grouped-query attention: every target type is one chain
        // whose blocks all have one shape, so every link holds.
        lwb::ModelConfig model = lwb::modelPreset("llama-tiny");
        model.hiddenSize = 32;
        model.numLayers = 3;
        model.numHeads = 4;
        model.numKvHeads = 2; // k_proj, v_proj: [16, 32] beside q_proj's [32, 32]
        model.intermediateSize = 48;
        lwb::CausalLM lm(model);
        lwb::AdapterConfig adapter;
        adapter.variant = "reslora";
        adapter.targets = lwb::linearLayerNames(lwb::Architecture::Llama);
        lwb::attachAdapters(*lm, adapter);
        std::map<std::string, std::vector<std::int64_t>> chains;
        for (const auto &entry : lwb::adaptedLayers(*lm)) {
            const auto reslora = std::dynamic_pointer_cast<ResLoraAdapterImpl>(entry.layer->adapter());
            QVERIFY(reslora);
            const auto &plan = reslora->chain().plan();
            QCOMPARE(plan.paths[static_cast<std::size_t>(reslora->position())], entry.site.path);
            chains[plan.key].push_back(reslora->position());
            QCOMPARE(plan.previous[static_cast<std::size_t>(reslora->position())], reslora->position() - 1);
        }
        QCOMPARE(chains.size(), std::size_t(7));
        QCOMPARE(chains.at("model.layers.*.self_attn.k_proj"), (std::vector<std::int64_t>{0, 1, 2}));
        QCOMPARE(chains.at("model.layers.*.mlp.down_proj"), (std::vector<std::int64_t>{0, 1, 2}));

        // A shape change breaks the link: that block starts a new segment.
        std::vector<lwb::AdapterSite> sites = {
            {"x.h.0.p", "p", 0, 4, 4, {}}, {"x.h.1.p", "p", 1, 4, 4, {}}, {"x.h.2.p", "p", 2, 4, 6, {}},
            {"x.h.3.p", "p", 3, 4, 6, {}}, {"x.h.0.q", "q", 0, 4, 4, {}},
        };
        const auto plans = lwb::planResLoraChains(sites);
        QCOMPARE(plans.size(), std::size_t(2));
        QCOMPARE(plans[0].previous, (std::vector<std::int64_t>{-1, 0, -1, 2}));
        QCOMPARE(plans[1].previous, (std::vector<std::int64_t>{-1}));
        lwb::ResLoraChain chain(plans[0]);
        QCOMPARE(chain.predecessors(3, -1), (std::vector<std::int64_t>{2}));
        QCOMPARE(chain.predecessors(1, 5), (std::vector<std::int64_t>{0}));
    }

    void configIsCheckedAndRoundTrips()
    {
        using nlohmann::json;
        const auto issuesOf = [](const json &adapter) {
            try {
                lwb::parseRunConfig(json{{"adapter", adapter}}, "test.json");
            } catch (const lwb::ConfigError &error) {
                return error.issues();
            }
            return std::vector<lwb::ConfigIssue>{};
        };
        const auto has = [](const std::vector<lwb::ConfigIssue> &issues, const std::string &path,
                            const std::string &fragment) {
            for (const auto &issue : issues) {
                if (issue.path == path && issue.reason.find(fragment) != std::string::npos)
                    return true;
            }
            return false;
        };
        QVERIFY(has(issuesOf({{"variant", "lora"}, {"reslora", {{"variant", "bs"}}}}), "adapter.reslora",
                    "only when adapter.variant is \"reslora\""));
        const auto bad = issuesOf({{"variant", "reslora"},
                                   {"reslora", {{"variant", "xs"}, {"pre_num", 0}, {"merge", "bx"},
                                                {"ms_merge", "b"}, {"window", 0}, {"extra", 1}}}});
        QVERIFY(has(bad, "adapter.reslora.variant", "\"is\""));
        QVERIFY(has(bad, "adapter.reslora.pre_num", "at least 1"));
        QVERIFY(has(bad, "adapter.reslora.merge", "\"bw\""));
        QVERIFY(has(bad, "adapter.reslora.ms_merge", "\"a_merge\""));
        QVERIFY(has(bad, "adapter.reslora.window", ""));
        QVERIFY(has(bad, "adapter.reslora.extra", "unknown key"));

        const auto defaults = lwb::parseRunConfig(json{{"adapter", {{"variant", "reslora"}}}}, "test.json");
        QCOMPARE(defaults.adapter.reslora.variant, std::string("is"));
        QCOMPARE(defaults.adapter.reslora.preNum, std::int64_t{1});
        QCOMPARE(defaults.adapter.reslora.merge, std::string("bi"));
        QCOMPARE(defaults.adapter.reslora.msMerge, std::string("paper"));
        QCOMPARE(defaults.adapter.reslora.window, std::int64_t{100});
        const auto chosen = lwb::parseRunConfig(
            json{{"adapter", {{"variant", "reslora"}, {"reslora", {{"variant", "ms"}, {"pre_num", -1}, {"merge", "bw"},
                                                                   {"ms_merge", "a_merge"}, {"window", 7}}}}}},
            "test.json");
        const auto again = lwb::parseRunConfig(chosen.toJson(), "round trip");
        QCOMPARE(again.toJson(), chosen.toJson());
        QCOMPARE(again.adapter.reslora.msMerge, std::string("a_merge"));
        QCOMPARE(again.adapter.reslora.preNum, std::int64_t{-1});
        QVERIFY(!lwb::parseRunConfig(json::object(), "t").toJson()["adapter"].contains("reslora"));
    }
};

QTEST_APPLESS_MAIN(TestResLoraSetup)
#include "test_reslora_setup.moc"
