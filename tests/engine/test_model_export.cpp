// Model-level exports: the merged Hugging Face checkpoint (one file and
// sharded, loaded back equal to base + adapter, transformers' layouts), the
// HF config and loader, the SiRA bundle (round trip, each expert as a PEFT
// folder, errors), and safe destinations ("../../x" stays inside, no
// overwrite without force, nothing left behind by a failed export).
#include "engine/export/export_folder.h"
#include "engine/export/peft_import.h"
#include "engine/export/run_export.h"
#include "engine/export/sira_bundle.h"
#include "engine/model/hf_checkpoint.h"
#include "engine/tensor_io/safetensors_reader.h"
#include "engine/tensor_io/safetensors_writer.h"

#include "error_capture.h"
#include "export_test_support.h"

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>

namespace {

namespace fs = std::filesystem;
using namespace lwb::test;

class TestModelExport : public QObject
{
    Q_OBJECT

private slots:
    void mergedExportLoadsBackAsBasePlusAdapter()
    {
        for (const auto &config : {llamaConfig(), gpt2Config()}) {
            QTemporaryDir dir;
            auto model = adaptedModel(config);
            const auto expected = logitsOf(*model);
            const auto result = lwb::exportModel(config, *model, request(dir, "merged"));
            QCOMPARE(entries(result.folder), (std::set<std::string>{"README.md", "config.json", "model.safetensors"}));
            QVERIFY(relativeError(logitsOf(*model), expected) == 0.0); // the model is left as it was

            auto loaded = lwb::loadHfCausalLM(result.folder);
            const auto actual = logitsOf(*loaded);
            // (W + s B A) x rounds differently from W x + s B (A x) in float32.
            QVERIFY2(relativeError(actual, expected) <= 1e-5, std::to_string(relativeError(actual, expected)).c_str());
            QVERIFY(lwb::adaptedLayers(*loaded).empty());

            // transformers' layout: GPT-2's Conv1D weights are [in, out].
            const lwb::ShardedCheckpoint checkpoint(result.folder);
            if (config.model.architecture == lwb::Architecture::Gpt2) {
                QCOMPARE(checkpoint.info("transformer.h.0.attn.c_attn.weight").shape,
                         (std::vector<std::int64_t>{32, 96}));
                QVERIFY(!checkpoint.contains("lm_head.weight")); // tied
                QCOMPARE(readJson(result.folder + "/config.json")["architectures"][0].get<std::string>(),
                         std::string("GPT2LMHeadModel"));
            } else {
                QCOMPARE(checkpoint.info("model.layers.0.self_attn.k_proj.weight").shape,
                         (std::vector<std::int64_t>{16, 32}));
                QVERIFY(checkpoint.contains("lm_head.weight"));
                QCOMPARE(readJson(result.folder + "/config.json")["architectures"][0].get<std::string>(),
                         std::string("LlamaForCausalLM"));
            }
        }
    }

    void baseExportIsTheModelWithoutItsAdapter()
    {
        QTemporaryDir dir;
        const auto config = llamaConfig();
        auto model = adaptedModel(config);
        lwb::CausalLM plain(config.model); // same init_seed: the same base
        const auto folder = lwb::exportModel(config, *model, request(dir, "base")).folder;
        auto loaded = lwb::loadHfCausalLM(folder);
        QVERIFY(relativeError(logitsOf(*loaded), logitsOf(*plain)) == 0.0);
        // The PEFT export on top of it gives the adapted model back.
        const auto peft = lwb::exportModel(config, *model, request(dir, "peft")).folder;
        lwb::importPeftAdapter(peft, *loaded);
        QVERIFY(relativeError(logitsOf(*loaded), logitsOf(*model)) <= 1e-6);
    }

    void mergedExportShardsPastTheLimit()
    {
        QTemporaryDir dir;
        const auto config = llamaConfig();
        auto model = adaptedModel(config);
        auto whole = request(dir, "merged", "whole");
        const auto one = lwb::exportModel(config, *model, whole);
        auto sharded = request(dir, "merged", "sharded");
        sharded.maxShardBytes = 40'000; // the 259 x 32 embedding alone is 33,152 bytes
        const auto many = lwb::exportModel(config, *model, sharded);

        const auto index = readJson(many.folder + "/model.safetensors.index.json");
        std::set<std::string> shards;
        for (const auto &item : index["weight_map"].items())
            shards.insert(item.value().get<std::string>());
        QVERIFY(shards.size() > 2);
        QVERIFY(shards.count("model-00001-of-" + std::string(5 - std::to_string(shards.size()).size(), '0')
                             + std::to_string(shards.size()) + ".safetensors"));
        std::uint64_t total = 0;
        for (const auto &shard : shards) {
            const auto bytes = fs::file_size(many.folder + "/" + shard);
            QVERIFY(bytes < 40'000 + 4'096); // tensors within the limit, plus the header
            const lwb::SafetensorsReader reader(many.folder + "/" + shard);
            for (const auto &name : reader.names())
                total += reader.info(name).dataEnd - reader.info(name).dataBegin;
        }
        QCOMPARE(index["metadata"]["total_size"].get<std::uint64_t>(), total);
        // The files of the result are what is on disk.
        QCOMPARE(many.files.size(), shards.size() + 3); // + index, config.json, README.md

        auto fromOne = lwb::loadHfCausalLM(one.folder);
        auto fromShards = lwb::loadHfCausalLM(many.folder);
        QVERIFY(relativeError(logitsOf(*fromShards), logitsOf(*fromOne)) == 0.0);
    }

    void hfConfigRoundTripsForEachFamily()
    {
        auto qwen = llamaConfig().model;
        qwen.attentionBias = true;
        for (const auto &model : {llamaConfig().model, gpt2Config().model, qwen}) {
            const auto json = lwb::hfConfigJson(model, "float32");
            const auto back = lwb::modelConfigFromHf(json, "config.json");
            QCOMPARE(back.architecture, model.architecture);
            QCOMPARE(back.hiddenSize, model.hiddenSize);
            QCOMPARE(back.numLayers, model.numLayers);
            QCOMPARE(back.numHeads, model.numHeads);
            QCOMPARE(back.numKvHeads, model.numKvHeads);
            QCOMPARE(back.intermediateSize, model.intermediateSize);
            QCOMPARE(back.maxPositions, model.maxPositions);
            QCOMPARE(back.vocabSize, model.vocabSize);
            QCOMPARE(back.tieWordEmbeddings, model.tieWordEmbeddings);
            QCOMPARE(back.attentionBias, model.attentionBias);
            QCOMPARE(back.normEps, model.normEps);
            QCOMPARE(back.ropeTheta, model.ropeTheta);
        }
        QCOMPARE(lwb::hfConfigJson(qwen, "float32")["model_type"].get<std::string>(), std::string("qwen2"));
        auto error = errorOf([] { lwb::modelConfigFromHf({{"model_type", "mamba"}}, "cfg.json"); });
        QVERIFY2(contains(error, "cfg.json: model_type: \"mamba\" is not supported"), error.c_str());
        error = errorOf([] {
            lwb::modelConfigFromHf({{"model_type", "llama"}, {"vocab_size", 10}, {"hidden_size", 8}}, "cfg.json");
        });
        QVERIFY2(contains(error, "cfg.json: num_hidden_layers: missing"), error.c_str());
    }

    void hfLoaderReadsTransformersGpt2KeysAndNamesProblems()
    {
        // GPT2LMHeadModel checkpoints on the Hub often lack "transformer." and
        // carry the causal-mask buffers; both load. Missing and unknown keys
        // are named.
        QTemporaryDir dir;
        const auto config = gpt2Config();
        lwb::CausalLM model(config.model);
        const auto expected = logitsOf(*model);
        lwb::NamedTensors hubStyle;
        for (const auto &[name, tensor] : lwb::hfStateDict(*model))
            hubStyle.emplace_back(name.rfind("transformer.", 0) == 0 ? name.substr(12) : name, tensor);
        hubStyle.emplace_back("h.0.attn.bias", torch::ones({1, 1, 64, 64}).tril());
        hubStyle.emplace_back("h.0.attn.masked_bias", torch::tensor(-1e4f));
        const auto folder = dir.filePath("hub").toStdString();
        fs::create_directories(folder);
        std::ofstream(folder + "/config.json") << lwb::hfConfigJson(config.model, "float32").dump();
        lwb::writeSafetensors(folder + "/model.safetensors", hubStyle);
        QVERIFY(relativeError(logitsOf(*lwb::loadHfCausalLM(folder)), expected) == 0.0);

        hubStyle.emplace_back("h.0.attn.rotary.weight", torch::ones({2}));
        lwb::writeSafetensors(folder + "/model.safetensors", hubStyle);
        auto error = errorOf([&] { lwb::loadHfCausalLM(folder); });
        QVERIFY2(contains(error, "holds tensors this model has no place for: h.0.attn.rotary.weight"), error.c_str());

        hubStyle.pop_back();
        hubStyle.erase(std::find_if(hubStyle.begin(), hubStyle.end(),
                                    [](const auto &entry) { return entry.first == "h.0.attn.c_attn.weight"; }));
        lwb::writeSafetensors(folder + "/model.safetensors", hubStyle);
        error = errorOf([&] { lwb::loadHfCausalLM(folder); });
        QVERIFY2(contains(error, "model.safetensors: has no tensor \"transformer.h.0.attn.c_attn.weight\""),
                 error.c_str());
    }

    void siraBundleRoundTripGivesIdenticalOutputs()
    {
        auto config = llamaConfig();
        config.adapter.variant = "sira";
        config.adapter.targets = {"q_proj", "v_proj", "down_proj"};
        config.adapter.sira.experts = 4;
        config.adapter.sira.topK = 2;
        config.adapter.sira.capacityFactor = 1.0; // capacity drops happen, and must repeat
        QTemporaryDir dir;
        auto model = adaptedModel(config);
        const auto expected = logitsOf(*model);
        auto req = request(dir, "bundle");
        req.expertFolders = true;
        const auto result = lwb::exportModel(config, *model, req);
        QCOMPARE(result.artifactKind, std::string("sira_bundle"));

        const auto manifest = readJson(result.folder + "/sira_bundle.json");
        QCOMPARE(manifest["experts"].get<std::int64_t>(), std::int64_t(4));
        QCOMPARE(manifest["top_k"].get<std::int64_t>(), std::int64_t(2));
        QCOMPARE(manifest["capacity_factor"].get<double>(), 1.0);
        QCOMPARE(manifest["sira"]["expert_dropout"].get<double>(), config.adapter.sira.expertDropout);
        QCOMPARE(manifest["modules"].size(), std::size_t(6));
        QCOMPARE(manifest["expert_folders"].size(), std::size_t(4));

        lwb::CausalLM fresh(config.model);
        const auto summary = lwb::importSiraBundle(result.folder, *fresh);
        QCOMPARE(summary.adapter.sira.capacityFactor, 1.0);
        QCOMPARE(summary.modules.size(), std::size_t(6));
        const auto actual = logitsOf(*fresh);
        QVERIFY2(relativeError(actual, expected) <= 1e-6, std::to_string(relativeError(actual, expected)).c_str());

        // Expert 2 alone, as a PEFT folder: delta = s * B_2 A_2 x on every module.
        lwb::CausalLM single(config.model);
        lwb::importPeftAdapter(result.folder + "/experts/expert-02", *single);
        const auto siraLayers = lwb::adaptedLayers(*model);
        const auto peftLayers = lwb::adaptedLayers(*single);
        QCOMPARE(peftLayers.size(), siraLayers.size());
        torch::NoGradGuard noGrad;
        for (std::size_t i = 0; i < siraLayers.size(); ++i) {
            const auto sira = std::dynamic_pointer_cast<lwb::SiraAdapterImpl>(siraLayers[i].layer->adapter());
            const auto xin = torch::randn({5, siraLayers[i].site.inFeatures});
            const auto reference
                = torch::matmul(torch::matmul(xin, sira->loraA[2].t()), sira->loraB[2].t()) * sira->scale();
            QVERIFY(relativeError(peftLayers[i].layer->adapter()->delta(xin), reference) < 1e-6);
        }
    }

    void siraBundleErrorsAreClear()
    {
        auto config = llamaConfig();
        config.adapter.variant = "sira";
        config.adapter.targets = {"q_proj"};
        config.adapter.sira.experts = 3;
        config.adapter.sira.topK = 1;
        QTemporaryDir dir;
        auto model = adaptedModel(config);
        const auto folder = lwb::exportModel(config, *model, request(dir, "bundle")).folder;

        auto manifest = readJson(folder + "/sira_bundle.json");
        manifest["sira"]["top_k"] = 5;
        std::ofstream(folder + "/sira_bundle.json") << manifest.dump();
        lwb::CausalLM fresh(config.model);
        auto error = errorOf([&] { lwb::importSiraBundle(folder, *fresh); });
        QVERIFY2(contains(error, "sira.top_k: must not exceed experts (3)"), error.c_str());

        manifest["sira"]["top_k"] = 1;
        manifest["r"] = 8;
        std::ofstream(folder + "/sira_bundle.json") << manifest.dump();
        error = errorOf([&] { lwb::importSiraBundle(folder, *fresh); });
        QVERIFY2(contains(error, "model.layers.0.self_attn.q_proj.lora_A has shape [3, 4, 32]"), error.c_str());

        // Found by tests/fuzz (fuzz_sira_manifest): a "format" that is no
        // string escaped as nlohmann's type_error 302.
        std::ofstream(folder + "/sira_bundle.json") << R"({"format": 88888888888888888888888888888})";
        error = errorOf([&] { lwb::importSiraBundle(folder, *fresh); });
        QVERIFY2(contains(error, "sira_bundle.json: format: must be \"lorawb.sira_bundle\""), error.c_str());

        // A SiRA model has no merged form; the failed export leaves nothing.
        error = errorOf([&] { lwb::exportModel(config, *model, request(dir, "merged", "sira-merged")); });
        QVERIFY2(contains(error, "model.layers.0.self_attn.q_proj: its adapter has no dense equivalent"),
                 error.c_str());
        error = errorOf([&] { lwb::exportModel(config, *model, request(dir, "peft", "sira-peft")); });
        QVERIFY2(
            contains(error, "\"peft\" is not an export format of the sira variant (its formats: bundle, merged, base)"),
            error.c_str());
        for (const auto &name : entries(dir.path().toStdString()))
            QVERIFY2(name.rfind("sira-", 0) != 0 && name.find("staging") == std::string::npos, name.c_str());
    }

    void destinationNamesCannotEscape()
    {
        QCOMPARE(lwb::sanitizeExportName("../../x"), std::string("x"));
        QCOMPARE(lwb::sanitizeExportName("/etc/passwd"), std::string("etc_passwd"));
        QCOMPARE(lwb::sanitizeExportName(".."), std::string("export"));
        QCOMPARE(lwb::sanitizeExportName("my run: ünïcode"), std::string("my_run____n__code"));
        QCOMPARE(lwb::sanitizeExportName("a/../../b"), std::string("a_.._.._b"));

        QTemporaryDir dir;
        const auto destination = (fs::path(dir.path().toStdString()) / "exports").string();
        auto config = gpt2Config();
        config.name = "../../x";
        auto model = adaptedModel(config);
        lwb::RunExportRequest req;
        req.format = "peft";
        req.destination = destination;
        const auto result = lwb::exportModel(config, *model, req);
        QCOMPARE(result.folder, destination + "/x-peft");
        for (const auto &file : result.files)
            QVERIFY2(file.path.rfind(destination + "/x-peft/", 0) == 0, file.path.c_str());
        QCOMPARE(entries(dir.path().toStdString()), (std::set<std::string>{"exports"}));
        QCOMPARE(entries(destination), (std::set<std::string>{"x-peft"}));
    }

    void overwriteOnlyWithForce()
    {
        QTemporaryDir dir;
        const auto config = gpt2Config();
        auto model = adaptedModel(config);
        const auto first = lwb::exportModel(config, *model, request(dir, "peft", "same"));
        std::ofstream(first.folder + "/stray.txt") << "from before";
        const auto before = fs::last_write_time(first.folder + "/adapter_model.safetensors");

        const auto error = errorOf([&] { lwb::exportModel(config, *model, request(dir, "peft", "same")); });
        QVERIFY2(contains(error, "already exists") && contains(error, "--force"), error.c_str());
        QVERIFY(fs::exists(first.folder + "/stray.txt")); // untouched
        QCOMPARE(fs::last_write_time(first.folder + "/adapter_model.safetensors"), before);

        auto forced = request(dir, "peft", "same");
        forced.force = true;
        const auto second = lwb::exportModel(config, *model, forced);
        QCOMPARE(second.folder, first.folder);
        QVERIFY(!fs::exists(first.folder + "/stray.txt")); // the old folder was replaced whole
        QCOMPARE(entries(dir.path().toStdString()), (std::set<std::string>{"same"}));
    }
};

} // namespace

QTEST_APPLESS_MAIN(TestModelExport)
#include "test_model_export.moc"
