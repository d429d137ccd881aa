// ResLoRA's setup around the numerics (test_reslora.cpp): chains keyed by
// target type with links only between equal shapes (Llama with grouped-query
// attention, a shape change), Llama's up/down chaining both ways, the norm
// windows restored exactly from a checkpoint, and the "adapter.reslora"
// config's errors, official merge names, old names and round trip.
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

    void llamaMlpChainingBothWays()
    {
        // The official code (microsoft/LMOps reslora/myloralib/reslora.py):
        // TARGET_MODULES_DICT["llama"]["f"] = ["up_proj", "down_proj"], but
        // ResLoraModel.__init__ appends each wrapped layer to
        // self.lora_list[temp_flag] with temp_flag the matched module NAME,
        // so up_proj and down_proj are separate lists (mlp_chain
        // "per_projection", default); concat_loras then links v[i] to v[i-1]
        // only when in/out features match. "up_down" puts both into one list
        // in module order, where Llama's [inter, d] / [d, inter] never match.
        std::vector<lwb::AdapterSite> sites;
        for (std::int64_t n = 0; n < 3; ++n) {
            const auto prefix = "model.layers." + std::to_string(n) + ".mlp.";
            sites.push_back({prefix + "gate_proj", "gate_proj", n, 8, 12, {}});
            sites.push_back({prefix + "up_proj", "up_proj", n, 8, 12, {}});
            sites.push_back({prefix + "down_proj", "down_proj", n, 12, 8, {}});
        }
        const auto separate = lwb::planResLoraChains(sites, false);
        QCOMPARE(separate.size(), std::size_t(3));
        for (const auto &plan : separate)
            QCOMPARE(plan.previous, (std::vector<std::int64_t>{-1, 0, 1}));
        const auto joined = lwb::planResLoraChains(sites, true);
        QCOMPARE(joined.size(), std::size_t(2)); // gate_proj, then {up_proj, down_proj}
        QCOMPARE(joined[1].paths,
                 (std::vector<std::string>{"model.layers.0.mlp.up_proj", "model.layers.0.mlp.down_proj",
                                           "model.layers.1.mlp.up_proj", "model.layers.1.mlp.down_proj",
                                           "model.layers.2.mlp.up_proj", "model.layers.2.mlp.down_proj"}));
        QCOMPARE(joined[1].previous, (std::vector<std::int64_t>(6, -1)));
        QCOMPARE(joined[0].previous, (std::vector<std::int64_t>{-1, 0, 1}));
        // A square MLP (intermediate = hidden) links up to down and down to up.
        for (auto &site : sites)
            site.inFeatures = site.outFeatures = 8;
        QCOMPARE(lwb::planResLoraChains(sites, true)[1].previous, (std::vector<std::int64_t>{-1, 0, 1, 2, 3, 4}));
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
        const auto has
            = [](const std::vector<lwb::ConfigIssue> &issues, const std::string &path, const std::string &fragment) {
                  for (const auto &issue : issues) {
                      if (issue.path == path && issue.reason.find(fragment) != std::string::npos)
                          return true;
                  }
                  return false;
              };
        QVERIFY(has(issuesOf({{"variant", "lora"}, {"reslora", {{"variant", "bs"}}}}), "adapter.reslora",
                    "only when adapter.variant is \"reslora\""));
        const auto bad = issuesOf({{"variant", "reslora"},
                                   {"reslora",
                                    {{"variant", "xs"},
                                     {"pre_num", 0},
                                     {"merge", "bx"},
                                     {"window", 0},
                                     {"bs_dropout", "one"},
                                     {"mlp_chain", "all"},
                                     {"extra", 1}}}});
        QVERIFY(has(bad, "adapter.reslora.variant", "\"is\""));
        QVERIFY(has(bad, "adapter.reslora.pre_num", "at least 1"));
        QVERIFY(has(bad, "adapter.reslora.merge", "\"merge_bi\" or \"merge_bw\""));
        QVERIFY(has(bad, "adapter.reslora.window", ""));
        QVERIFY(has(bad, "adapter.reslora.bs_dropout", "\"per_block\""));
        QVERIFY(has(bad, "adapter.reslora.mlp_chain", "\"up_down\""));
        QVERIFY(has(bad, "adapter.reslora.extra", "unknown key"));
        QVERIFY(has(issuesOf({{"variant", "reslora"}, {"reslora", {{"variant", "ms"}, {"merge", "bw"}}}}),
                    "adapter.reslora.merge", "no counterpart"));
        QVERIFY(has(issuesOf({{"variant", "reslora"}, {"reslora", {{"ms_merge", "b"}}}}), "adapter.reslora.ms_merge",
                    "\"a_merge\""));

        // Configs written with the old names read as their official counterparts.
        const auto legacy = [](const json &section) {
            return lwb::parseRunConfig(json{{"adapter", {{"variant", "reslora"}, {"reslora", section}}}}, "old.json")
                .adapter.reslora.merge;
        };
        QCOMPARE(legacy({{"merge", "bi"}, {"ms_merge", "paper"}}), std::string("merge_bw")); // is by input: flag 4
        QCOMPARE(legacy({{"merge", "bw"}}), std::string("merge_bi"));                        // is by weights: flag 3
        QCOMPARE(legacy({{"variant", "ms"}, {"merge", "bi"}, {"ms_merge", "paper"}}), std::string("merge_bw"));
        QCOMPARE(legacy({{"variant", "ms"}, {"merge", "bi"}, {"ms_merge", "a_merge"}}), std::string("merge_bi"));

        const auto defaults = lwb::parseRunConfig(json{{"adapter", {{"variant", "reslora"}}}}, "test.json");
        QCOMPARE(defaults.adapter.reslora.variant, std::string("is"));
        QCOMPARE(defaults.adapter.reslora.preNum, std::int64_t{1});
        QCOMPARE(defaults.adapter.reslora.merge, std::string("merge_bw"));
        QCOMPARE(defaults.adapter.reslora.window, std::int64_t{100});
        QCOMPARE(defaults.adapter.reslora.bsDropout, std::string("per_block"));
        QCOMPARE(defaults.adapter.reslora.mlpChain, std::string("per_projection"));
        const auto chosen = lwb::parseRunConfig(json{{"adapter",
                                                      {{"variant", "reslora"},
                                                       {"reslora",
                                                        {{"variant", "ms"},
                                                         {"pre_num", -1},
                                                         {"merge", "merge_bi"},
                                                         {"window", 7},
                                                         {"bs_dropout", "shared"},
                                                         {"mlp_chain", "up_down"}}}}}},
                                                "test.json");
        const auto again = lwb::parseRunConfig(chosen.toJson(), "round trip");
        QCOMPARE(again.toJson(), chosen.toJson());
        QCOMPARE(again.adapter.reslora.merge, std::string("merge_bi"));
        QCOMPARE(again.adapter.reslora.mlpChain, std::string("up_down"));
        QCOMPARE(again.adapter.reslora.preNum, std::int64_t{-1});
        QVERIFY(!lwb::parseRunConfig(json::object(), "t").toJson()["adapter"].contains("reslora"));
    }
};

QTEST_APPLESS_MAIN(TestResLoraSetup)
#include "test_reslora_setup.moc"
