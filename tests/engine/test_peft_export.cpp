// Export and import: PEFT folders (round trip with identical outputs, key
// names, shapes and adapter_config.json equal to fixtures written from PEFT's
// documented format by tests/fixtures/peft/make_fixtures.py), merged Hugging
// Face checkpoints (one file and sharded, loaded back equal to base +
// adapter), the SiRA bundle (round trip, each expert as a PEFT folder), safe
// destinations ("../../x" stays inside, no overwrite without force, nothing
// left behind by a failed export), exportRun from a real training checkpoint,
// adapter.init_from, and clear errors for broken or mismatched folders.
#include "engine/adapters/adapter_registry.h"
#include "engine/adapters/lora_adapter.h"
#include "engine/adapters/sira_adapter.h"
#include "engine/config/run_config.h"
#include "engine/export/export_folder.h"
#include "engine/export/peft_import.h"
#include "engine/export/run_export.h"
#include "engine/export/sira_bundle.h"
#include "engine/model/hf_checkpoint.h"
#include "engine/tensor_io/safetensors_reader.h"
#include "engine/tensor_io/safetensors_writer.h"
#include "engine/train/trainer.h"

#include "error_capture.h"

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <set>

namespace {

namespace fs = std::filesystem;
using lwb::test::contains;
using lwb::test::errorOf;

double relativeError(const torch::Tensor &actual, const torch::Tensor &expected)
{
    return (actual - expected).norm().item<double>() / std::max(1e-300, expected.norm().item<double>());
}

// The shapes of tests/fixtures/peft (make_fixtures.py).
lwb::RunConfig llamaConfig()
{
    lwb::RunConfig config;
    config.name = "llama-export";
    config.model = lwb::modelPreset("llama-tiny");
    config.model.hiddenSize = 32;
    config.model.numLayers = 2;
    config.model.numHeads = 4;
    config.model.numKvHeads = 2;
    config.model.intermediateSize = 48;
    config.model.maxPositions = 64;
    config.adapter.targets = lwb::linearLayerNames(lwb::Architecture::Llama);
    config.adapter.rank = 4;
    config.adapter.alpha = 8;
    config.adapter.dropout = 0.05;
    return config;
}

lwb::RunConfig gpt2Config()
{
    lwb::RunConfig config;
    config.name = "gpt2-export";
    config.model = lwb::modelPreset("gpt2-tiny");
    config.model.hiddenSize = 32;
    config.model.numLayers = 2;
    config.model.numHeads = 4;
    config.model.numKvHeads = 4;
    config.model.intermediateSize = 128;
    config.model.maxPositions = 64;
    config.adapter.targets = lwb::linearLayerNames(lwb::Architecture::Gpt2);
    config.adapter.rank = 4;
    config.adapter.alpha = 16;
    config.adapter.dropout = 0.0;
    return config;
}

// A model with adapters whose B is not zero (a fresh LoRA adds nothing, which
// would make every round trip pass).
lwb::CausalLM adaptedModel(const lwb::RunConfig &config, std::uint64_t seed = 11)
{
    lwb::CausalLM model(config.model);
    torch::manual_seed(seed);
    lwb::attachAdapters(*model, config.adapter);
    torch::NoGradGuard noGrad;
    for (const auto &entry : lwb::adaptedLayers(*model)) {
        if (auto lora = std::dynamic_pointer_cast<lwb::LoraAdapterImpl>(entry.layer->adapter()))
            lora->loraB.normal_(0.0, 0.2);
        if (auto sira = std::dynamic_pointer_cast<lwb::SiraAdapterImpl>(entry.layer->adapter())) {
            sira->loraB.normal_(0.0, 0.2);
            sira->router.normal_(0.0, 1.0);
        }
    }
    model->eval();
    return model;
}

torch::Tensor logitsOf(lwb::CausalLMImpl &model)
{
    torch::NoGradGuard noGrad;
    model.eval();
    const auto ids = torch::tensor({{1, 72, 101, 108, 108, 111, 32, 9}, {5, 200, 17, 3, 99, 250, 258, 258}},
                                   torch::kInt64);
    return model.forward(ids);
}

nlohmann::json readJson(const std::string &path)
{
    std::ifstream file(path);
    if (!file)
        throw std::runtime_error("cannot open " + path);
    return nlohmann::json::parse(file);
}

std::string fixtureDir(const std::string &name)
{
    return std::string(qgetenv("LWB_SOURCE_DIR").constData()) + "/tests/fixtures/peft/" + name;
}

lwb::RunExportRequest request(const QTemporaryDir &dir, const std::string &format, const std::string &name = "")
{
    lwb::RunExportRequest request;
    request.format = format;
    request.destination = dir.path().toStdString();
    request.name = name;
    return request;
}

// Every entry directly under a folder.
std::set<std::string> entries(const std::string &folder)
{
    std::set<std::string> names;
    for (const auto &entry : fs::directory_iterator(folder))
        names.insert(entry.path().filename().string());
    return names;
}

class TestPeftExport : public QObject
{
    Q_OBJECT

private:
    // Export `config`'s adapted model as PEFT and compare with the fixture.
    void checkAgainstFixture(lwb::RunConfig config, const std::string &fixture, const std::string &baseModel)
    {
        QTemporaryDir dir;
        auto model = adaptedModel(config);
        auto req = request(dir, "peft", fixture);
        req.baseModel = baseModel;
        const auto result = lwb::exportModel(config, *model, req);

        auto ours = readJson(result.folder + "/adapter_config.json");
        auto expected = readJson(fixtureDir(fixture) + "/adapter_config.json");
        // target_modules is a set in PEFT; its order carries no meaning.
        for (auto *json : {&ours, &expected}) {
            auto targets = (*json)["target_modules"].get<std::vector<std::string>>();
            std::sort(targets.begin(), targets.end());
            (*json)["target_modules"] = targets;
        }
        if (ours != expected)
            qWarning("ours: %s\nfixture: %s", ours.dump().c_str(), expected.dump().c_str());
        QCOMPARE(ours.size(), expected.size());
        QVERIFY(ours == expected);

        const lwb::SafetensorsReader reader(result.folder + "/adapter_model.safetensors");
        const auto table = readJson(fixtureDir(fixture) + "/tensors.json");
        QCOMPARE(reader.metadata(), (std::map<std::string, std::string>{{"format", "pt"}}));
        QCOMPARE(reader.names().size(), table["tensors"].size());
        for (const auto &[key, spec] : table["tensors"].items()) {
            QVERIFY2(reader.contains(key), key.c_str());
            const auto &info = reader.info(key);
            QCOMPARE(lwb::safetensorsDtypeName(info.dtype), spec["dtype"].get<std::string>());
            QCOMPARE(info.shape, spec["shape"].get<std::vector<std::int64_t>>());
        }
        QVERIFY(fs::exists(result.folder + "/README.md"));
    }

    // Export as PEFT, import onto a fresh base, compare the logits.
    void checkRoundTrip(const lwb::RunConfig &config)
    {
        QTemporaryDir dir;
        auto model = adaptedModel(config);
        const auto expected = logitsOf(*model);
        const auto result = lwb::exportModel(config, *model, request(dir, "peft"));

        lwb::CausalLM fresh(config.model);
        const auto base = logitsOf(*fresh);
        const auto summary = lwb::importPeftAdapter(result.folder, *fresh);
        QCOMPARE(summary.modules.size(), lwb::adaptedLayers(*model).size());
        const auto actual = logitsOf(*fresh);
        QVERIFY(relativeError(base, expected) > 1e-3); // the adapter changes the outputs
        QVERIFY2(relativeError(actual, expected) <= 1e-6, std::to_string(relativeError(actual, expected)).c_str());
        // The base stays frozen, only the imported adapters train further.
        for (const auto &item : lwb::trainableParameters(*fresh))
            QVERIFY(item.first.find(".adapter.lora_") != std::string::npos);
        QCOMPARE(lwb::trainableParameters(*fresh).size(), 2 * summary.modules.size());
    }

    // A hand-made PEFT folder: config fields over the defaults, and tensors.
    std::string writeFolder(const QTemporaryDir &dir, const std::string &name, const nlohmann::json &config,
                            const lwb::NamedTensors &tensors)
    {
        const auto folder = dir.filePath(QString::fromStdString(name)).toStdString();
        fs::create_directories(folder);
        std::ofstream(folder + "/adapter_config.json") << config.dump(2);
        lwb::writeSafetensors(folder + "/adapter_model.safetensors", tensors, {{"format", "pt"}});
        return folder;
    }

    // A correct export of the Llama fixture model to break in various ways.
    std::string llamaExport(const QTemporaryDir &dir)
    {
        const auto config = llamaConfig();
        auto model = adaptedModel(config);
        return lwb::exportModel(config, *model, request(dir, "peft", "good")).folder;
    }

private slots:
    void llamaExportEqualsPeftFixture() { checkAgainstFixture(llamaConfig(), "llama", "lorawb/llama-fixture"); }
    void gpt2ExportEqualsPeftFixture() { checkAgainstFixture(gpt2Config(), "gpt2", "lorawb/gpt2-fixture"); }

    void llamaRoundTripGivesIdenticalOutputs() { checkRoundTrip(llamaConfig()); }
    void gpt2RoundTripGivesIdenticalOutputs() { checkRoundTrip(gpt2Config()); }

    void rsloraAndHalfPrecisionRoundTrip()
    {
        auto config = llamaConfig();
        config.adapter.rslora = true;
        config.adapter.targets = {"q_proj", "v_proj"};
        QTemporaryDir dir;
        auto model = adaptedModel(config);
        const auto expected = logitsOf(*model);
        auto req = request(dir, "peft");
        req.dtype = "bfloat16";
        const auto folder = lwb::exportModel(config, *model, req).folder;
        QCOMPARE(readJson(folder + "/adapter_config.json")["use_rslora"].get<bool>(), true);
        const lwb::SafetensorsReader reader(folder + "/adapter_model.safetensors");
        QCOMPARE(lwb::safetensorsDtypeName(reader.info(reader.names().front()).dtype), std::string("BF16"));
        lwb::CausalLM fresh(config.model);
        lwb::importPeftAdapter(folder, *fresh);
        // bfloat16 keeps 8 bits of mantissa: close, not equal.
        QVERIFY(relativeError(logitsOf(*fresh), expected) < 2e-2);
    }

    void importReadsPeftVariantsOfTheKeys()
    {
        // Keys with the adapter name (older PEFT), GPT2Model paths without
        // "transformer.", and a per-module rank from rank_pattern.
        QTemporaryDir dir;
        auto config = gpt2Config();
        lwb::CausalLM model(config.model);
        torch::manual_seed(3);
        const auto a0 = torch::randn({4, 32}), b0 = torch::randn({96, 4});
        const auto a1 = torch::randn({2, 32}), b1 = torch::randn({96, 2});
        const nlohmann::json peft = {{"peft_type", "LORA"},
                                     {"r", 4},
                                     {"lora_alpha", 8},
                                     {"target_modules", {"c_attn"}},
                                     {"fan_in_fan_out", true},
                                     {"rank_pattern", {{"h.1.attn.c_attn", 2}}}};
        const auto folder = writeFolder(dir, "variants", peft,
                                        {{"base_model.model.h.0.attn.c_attn.lora_A.default.weight", a0},
                                         {"base_model.model.h.0.attn.c_attn.lora_B.default.weight", b0},
                                         {"base_model.model.h.1.attn.c_attn.lora_A.weight", a1},
                                         {"base_model.model.h.1.attn.c_attn.lora_B.weight", b1}});
        const auto summary = lwb::importPeftAdapter(folder, *model);
        QCOMPARE(summary.modules,
                 (std::vector<std::string>{"transformer.h.0.attn.c_attn", "transformer.h.1.attn.c_attn"}));
        // delta(x) = alpha / r * B A x per module, the rank from rank_pattern.
        const auto x = torch::randn({3, 32});
        const auto layers = lwb::adaptedLayers(*model);
        torch::NoGradGuard noGrad;
        const auto delta0 = layers[0].layer->adapter()->delta(x);
        const auto delta1 = layers[1].layer->adapter()->delta(x);
        QVERIFY(relativeError(delta0, torch::matmul(torch::matmul(x, a0.t()), b0.t()) * (8.0 / 4.0)) < 1e-6);
        QVERIFY(relativeError(delta1, torch::matmul(torch::matmul(x, a1.t()), b1.t()) * (8.0 / 2.0)) < 1e-6);
    }

    void mismatchedFoldersAreNamedInTheError()
    {
        QTemporaryDir dir;
        const auto good = llamaExport(dir);

        // Onto a model with one layer fewer: the adapter's layer 1 is missing.
        auto shallow = llamaConfig();
        shallow.model.numLayers = 1;
        lwb::CausalLM oneLayer(shallow.model);
        auto error = errorOf([&] { lwb::importPeftAdapter(good, *oneLayer); });
        QVERIFY2(contains(error, "adapts modules the model does not have") && contains(error, "model.layers.1."),
                 error.c_str());

        // Onto a deeper model: its layer 2 has no weights.
        auto deep = llamaConfig();
        deep.model.numLayers = 3;
        lwb::CausalLM threeLayers(deep.model);
        error = errorOf([&] { lwb::importPeftAdapter(good, *threeLayers); });
        QVERIFY2(contains(error, "no weights for modules") && contains(error, "model.layers.2.self_attn.q_proj"),
                 error.c_str());

        // Onto a wider model: the shapes are named.
        auto wide = llamaConfig();
        wide.model.hiddenSize = 64;
        lwb::CausalLM wider(wide.model);
        error = errorOf([&] { lwb::importPeftAdapter(good, *wider); });
        QVERIFY2(contains(error, "module model.layers.0.mlp.down_proj: lora_B has shape [32, 4]")
                     && contains(error, "needs [64, 4] (out_features 64, rank 4)"),
                 error.c_str());
        QVERIFY(lwb::adaptedLayers(*wider).empty()); // nothing attached on failure

        // A GPT-2 adapter onto a Llama model.
        auto gpt2 = gpt2Config();
        auto gpt2Model = adaptedModel(gpt2);
        const auto gpt2Folder = lwb::exportModel(gpt2, *gpt2Model, request(dir, "peft", "gpt2")).folder;
        lwb::CausalLM llama(llamaConfig().model);
        error = errorOf([&] { lwb::importPeftAdapter(gpt2Folder, *llama); });
        QVERIFY2(contains(error, "transformer.h.0.attn.c_attn"), error.c_str());
    }

    void brokenFoldersGiveClearErrors()
    {
        QTemporaryDir dir;
        const auto config = llamaConfig();
        lwb::CausalLM model(config.model);
        const auto good = llamaExport(dir);
        const auto copy = [&](const std::string &name) {
            const auto folder = dir.filePath(QString::fromStdString(name)).toStdString();
            fs::copy(good, folder, fs::copy_options::recursive);
            return folder;
        };
        const auto edit = [&](const std::string &folder, const std::function<void(nlohmann::json &)> &change) {
            auto json = readJson(folder + "/adapter_config.json");
            change(json);
            std::ofstream(folder + "/adapter_config.json") << json.dump();
        };

        auto error = errorOf([&] { lwb::importPeftAdapter(dir.filePath("nowhere").toStdString(), *model); });
        QVERIFY2(contains(error, "adapter_config.json: cannot open"), error.c_str());

        auto folder = copy("prefix");
        edit(folder, [](nlohmann::json &json) { json["peft_type"] = "PREFIX_TUNING"; });
        error = errorOf([&] { lwb::importPeftAdapter(folder, *model); });
        QVERIFY2(contains(error, "peft_type: \"PREFIX_TUNING\" is not supported"), error.c_str());

        folder = copy("dora");
        edit(folder, [](nlohmann::json &json) { json["use_dora"] = true; });
        error = errorOf([&] { lwb::importPeftAdapter(folder, *model); });
        QVERIFY2(contains(error, "use_dora: DoRA adapters are not supported"), error.c_str());

        folder = copy("rank");
        edit(folder, [](nlohmann::json &json) { json["r"] = 8; });
        error = errorOf([&] { lwb::importPeftAdapter(folder, *model); });
        QVERIFY2(contains(error, "module model.layers.0.mlp.down_proj: lora_A has shape [4, 48]")
                     && contains(error, "needs [8, 48] (rank 8"),
                 error.c_str());

        folder = copy("targets");
        edit(folder, [](nlohmann::json &json) { json["target_modules"] = {"q_proj"}; });
        error = errorOf([&] { lwb::importPeftAdapter(folder, *model); });
        QVERIFY2(contains(error, "target_modules does not select") && contains(error, "k_proj"), error.c_str());

        folder = copy("garbled");
        std::ofstream(folder + "/adapter_config.json") << "{\"peft_type\": \"LORA\", ";
        error = errorOf([&] { lwb::importPeftAdapter(folder, *model); });
        QVERIFY2(contains(error, "adapter_config.json: not valid JSON"), error.c_str());

        folder = copy("truncated");
        fs::resize_file(folder + "/adapter_model.safetensors", fs::file_size(folder + "/adapter_model.safetensors") - 7);
        error = errorOf([&] { lwb::importPeftAdapter(folder, *model); });
        QVERIFY2(contains(error, "adapter_model.safetensors"), error.c_str());

        folder = copy("pickle");
        fs::rename(folder + "/adapter_model.safetensors", folder + "/adapter_model.bin");
        error = errorOf([&] { lwb::importPeftAdapter(folder, *model); });
        QVERIFY2(contains(error, "adapter_model.bin: pickled PyTorch weights are not read"), error.c_str());

        // One half of a pair missing.
        const lwb::SafetensorsReader reader(good + "/adapter_model.safetensors");
        lwb::NamedTensors tensors;
        for (const auto &name : reader.names()) {
            if (name != "base_model.model.model.layers.1.mlp.up_proj.lora_B.weight")
                tensors.emplace_back(name, reader.load(name));
        }
        folder = writeFolder(dir, "half", readJson(good + "/adapter_config.json"), tensors);
        error = errorOf([&] { lwb::importPeftAdapter(folder, *model); });
        QVERIFY2(contains(error, "module model.layers.1.mlp.up_proj has lora_A but not lora_B"), error.c_str());

        // A tensor that is no LoRA weight (DoRA's magnitude vector).
        tensors.emplace_back("base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector", torch::ones({32}));
        folder = writeFolder(dir, "magnitude", readJson(good + "/adapter_config.json"), tensors);
        error = errorOf([&] { lwb::importPeftAdapter(folder, *model); });
        QVERIFY2(contains(error, "not LoRA A/B weights") && contains(error, "lora_magnitude_vector"), error.c_str());
        QVERIFY(lwb::adaptedLayers(*model).empty());
    }

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
            const auto reference = torch::matmul(torch::matmul(xin, sira->loraA[2].t()), sira->loraB[2].t()) * sira->scale();
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

        // A SiRA model has no merged form; the failed export leaves nothing.
        error = errorOf([&] { lwb::exportModel(config, *model, request(dir, "merged", "sira-merged")); });
        QVERIFY2(contains(error, "model.layers.0.self_attn.q_proj: its adapter has no dense equivalent"), error.c_str());
        error = errorOf([&] { lwb::exportModel(config, *model, request(dir, "peft", "sira-peft")); });
        QVERIFY2(contains(error, "\"peft\" is not an export format of the sira variant (its formats: bundle, merged)"),
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

    void exportRunFromATrainingCheckpoint()
    {
        QTemporaryDir dir;
        nlohmann::json doc = {
            {"name", "export-run"},
            {"seed", 3},
            {"model", {{"preset", "llama-tiny"}, {"hidden_size", 32}, {"num_hidden_layers", 1},
                       {"num_attention_heads", 4}, {"num_key_value_heads", 2}, {"intermediate_size", 48}}},
            {"data", {{"eval_examples", 8}}},
            {"adapter", {{"r", 4}, {"alpha", 8}, {"targets", {"q_proj", "v_proj"}}}},
            {"training", {{"steps", 3}, {"batch_size", 2}, {"warmup_steps", 1}, {"lr", 0.05},
                          {"output_dir", dir.filePath("run").toStdString()}}},
            {"eval", {{"every", 0}, {"batch_size", 8}}},
        };
        const auto config = lwb::parseRunConfig(doc, "test");
        lwb::Trainer trainer(config);
        QCOMPARE(trainer.run(), lwb::RunOutcome::Finished);
        const auto expected = logitsOf(*trainer.model());

        lwb::RunExportRequest req;
        req.checkpoint = dir.filePath("run").toStdString();
        req.format = "peft";
        req.destination = dir.filePath("exports").toStdString();
        req.runId = 17;
        req.metrics = {{"eval/loss", "2.5"}};
        const auto result = lwb::exportRun(req);
        QCOMPARE(result.folder, req.destination + "/export-run-peft");
        std::ifstream cardFile(result.folder + "/README.md");
        const std::string card((std::istreambuf_iterator<char>(cardFile)), std::istreambuf_iterator<char>());
        QVERIFY(contains(card, "library_name: peft"));
        QVERIFY(contains(card, "run 17"));
        QVERIFY(contains(card, "checkpoint at step 3"));
        QVERIFY(contains(card, "| eval/loss | 2.5 |"));
        QVERIFY(contains(card, "\"init_seed\""));

        lwb::CausalLM fresh(config.model);
        lwb::importPeftAdapter(result.folder, *fresh);
        QVERIFY(relativeError(logitsOf(*fresh), expected) <= 1e-6);

        // adapter.init_from: a new run starts from the exported adapter.
        auto next = doc;
        next["adapter"]["init_from"] = result.folder;
        next["training"]["output_dir"] = dir.filePath("next").toStdString();
        auto nextConfig = lwb::parseRunConfig(next, "next");
        lwb::checkInitFromFolder(nextConfig.adapter, "next");
        lwb::CausalLM started(nextConfig.model);
        lwb::attachAdapters(*started, nextConfig.adapter);
        lwb::loadPeftWeights(nextConfig.adapter.initFrom, *started);
        QVERIFY(relativeError(logitsOf(*started), expected) <= 1e-6);
        QCOMPARE(lwb::parseRunConfig(nextConfig.toJson(), "again").adapter.initFrom, result.folder);
        // The trainer does the same: one step at a learning rate too small to
        // move anything leaves the imported adapter's outputs.
        auto tiny = next;
        tiny["training"]["steps"] = 1;
        tiny["training"]["lr"] = 1e-12;
        lwb::Trainer continued(lwb::parseRunConfig(tiny, "tiny"));
        QCOMPARE(continued.run(), lwb::RunOutcome::Finished);
        QVERIFY(relativeError(logitsOf(*continued.model()), expected) <= 1e-6);

        // Mismatches are listed with what to change.
        next["adapter"]["r"] = 8;
        next["adapter"]["targets"] = {"q_proj"};
        const auto mismatched = lwb::parseRunConfig(next, "next");
        const auto error = errorOf([&] { lwb::checkInitFromFolder(mismatched.adapter, "next"); });
        QVERIFY2(contains(error, "adapter.init_from: the PEFT folder") && contains(error, "has r 4, the run adapter.r 8")
                     && contains(error, "targets [q_proj, v_proj]"),
                 error.c_str());
        lwb::Trainer refused(mismatched);
        QVERIFY(contains(errorOf([&] { refused.run(); }), "has r 4, the run adapter.r 8"));
        next["adapter"]["r"] = 4;
        next["adapter"]["targets"] = {"q_proj", "v_proj"};
        next["adapter"]["variant"] = "sira";
        const auto sira = errorOf([&] { lwb::parseRunConfig(next, "next"); });
        QVERIFY2(contains(sira, "adapter.init_from: only the \"lora\" variant"), sira.c_str());
        next["adapter"]["variant"] = "lora";
        next["adapter"]["init_from"] = dir.filePath("missing").toStdString();
        const auto missing = errorOf([&] { lwb::checkInitFromFolder(lwb::parseRunConfig(next, "next").adapter, "n"); });
        QVERIFY2(contains(missing, "adapter.init_from") && contains(missing, "cannot open"), missing.c_str());

        // Bad requests fail before anything is written.
        auto bad = req;
        bad.format = "onnx";
        QVERIFY(contains(errorOf([&] { lwb::exportRun(bad); }), "\"onnx\" is not an export format of the lora variant"));
        bad = req;
        bad.dtype = "int8";
        QVERIFY(contains(errorOf([&] { lwb::exportRun(bad); }), "\"int8\" is not float32, float16 or bfloat16"));
        bad = req;
        bad.checkpoint = dir.filePath("nothing").toStdString();
        QVERIFY(contains(errorOf([&] { lwb::exportRun(bad); }), "no such checkpoint file or run output directory"));
        QCOMPARE(entries(req.destination), (std::set<std::string>{"export-run-peft"}));
    }
};

} // namespace

QTEST_APPLESS_MAIN(TestPeftExport)
#include "test_peft_export.moc"
