// PEFT export and import: key names, shapes and adapter_config.json values
// equal to those peft 0.21.2 itself saves for the same LoRA
// (tests/fixtures/peft/make_fixtures.py), export -> import gives identical
// outputs, the key spellings of other PEFT versions import, broken or
// mismatched folders give errors that name the module, exportRun from a
// real training checkpoint, and adapter.init_from (checks and trainer).
#include "engine/adapters/reslora_adapter.h"
#include "engine/adapters/reslora_merge.h"
#include "engine/export/peft_import.h"
#include "engine/export/run_export.h"
#include "engine/tensor_io/safetensors_reader.h"
#include "engine/tensor_io/safetensors_writer.h"
#include "engine/train/trainer.h"

#include "error_capture.h"
#include "export_test_support.h"

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>

namespace {

namespace fs = std::filesystem;
using namespace lwb::test;

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
        // We write PEFT 0.10-0.13's keys (peft_format.h); peft 0.21 writes more, each
        // with the default that an absent key gets. Every key of ours has peft's value.
        for (const auto &[key, value] : ours.items()) {
            QVERIFY2(expected.contains(key), key.c_str());
            if (expected[key] != value)
                qWarning("%s: ours %s, peft %s", key.c_str(), value.dump().c_str(), expected[key].dump().c_str());
            QVERIFY2(expected[key] == value, key.c_str());
        }

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
        // Importing again replaces the adapters (found by tests/fuzz,
        // fuzz_peft_config: the second attach threw torch's "Submodule
        // 'adapter' already defined" instead).
        lwb::importPeftAdapter(result.folder, *fresh);
        QCOMPARE(lwb::trainableParameters(*fresh).size(), 2 * summary.modules.size());
        QVERIFY(relativeError(logitsOf(*fresh), expected) <= 1e-6);
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

    // ResLoRA publishes its merged LoRA: the PEFT folder, imported onto a
    // fresh base, computes what the merged ResLoRA model computes. bs (exact
    // merge, ranks growing along the chain: rank_pattern) and is (merged by
    // the input norms recorded in training).
    void resloraExportsItsMergedLora()
    {
        for (const std::string variant : {"bs", "is"}) {
            auto config = gpt2Config();
            config.adapter.variant = "reslora";
            config.adapter.reslora.variant = variant;
            auto model = adaptedModel(config);
            {
                torch::NoGradGuard noGrad;
                for (const auto &entry : lwb::adaptedLayers(*model))
                    if (auto reslora = std::dynamic_pointer_cast<lwb::ResLoraAdapterImpl>(entry.layer->adapter()))
                        reslora->loraB.normal_(0.0, 0.2);
                model->train(); // a few training forwards fill the input-norm windows
                for (int i = 0; i < 3; ++i)
                    model->forward(torch::randint(0, 256, {2, 8}, torch::kInt64));
                model->eval();
            }
            torch::Tensor expected;
            {
                const lwb::MergedResLoraSwap merged(*model);
                expected = logitsOf(*model);
            }
            QTemporaryDir dir;
            const auto result = lwb::exportModel(config, *model, request(dir, "peft"));
            const auto peftConfig = readJson(result.folder + "/adapter_config.json");
            QCOMPARE(peftConfig["rank_pattern"].empty(), variant != "bs");

            lwb::CausalLM fresh(config.model);
            lwb::importPeftAdapter(result.folder, *fresh);
            const auto actual = logitsOf(*fresh);
            QVERIFY2(relativeError(actual, expected) <= 1e-6,
                     (variant + ": " + std::to_string(relativeError(actual, expected))).c_str());
        }
    }

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
        const nlohmann::json peft = {{"peft_type", "LORA"},    {"r", 4},
                                     {"lora_alpha", 8},        {"target_modules", {"c_attn"}},
                                     {"fan_in_fan_out", true}, {"rank_pattern", {{"h.1.attn.c_attn", 2}}}};
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

        // Found by tests/fuzz (fuzz_peft_config): a 20-digit back-reference
        // overflowed inside libstdc++'s regex compiler (undefined behaviour).
        folder = copy("huge-backreference");
        edit(folder, [](nlohmann::json &json) { json["target_modules"] = ".*\\18446744073709551616B"; });
        error = errorOf([&] { lwb::importPeftAdapter(folder, *model); });
        QVERIFY2(contains(error, "target_modules: \".*\\18446744073709551616B\" is not a valid regular expression"),
                 error.c_str());

        // Found by tests/fuzz (fuzz_peft_config): a quantifier on a quantifier
        // backtracked exponentially in libstdc++ (a hang); Python's re, and so
        // PEFT, refuses it ("multiple repeat"). A lazy quantifier stays valid.
        folder = copy("multiple-repeat");
        edit(folder, [](nlohmann::json &json) { json["target_modules"] = ".**\\.hWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW"; });
        error = errorOf([&] { lwb::importPeftAdapter(folder, *model); });
        QVERIFY2(contains(error, "is not a valid regular expression"), error.c_str());
        folder = copy("lazy-quantifier");
        edit(folder, [](nlohmann::json &json) { json["target_modules"] = ".*?(q_proj|v_proj)"; });
        QVERIFY(lwb::readPeftConfig(folder).targets("model.layers.0.self_attn.q_proj"));

        folder = copy("garbled");
        std::ofstream(folder + "/adapter_config.json") << "{\"peft_type\": \"LORA\", ";
        error = errorOf([&] { lwb::importPeftAdapter(folder, *model); });
        QVERIFY2(contains(error, "adapter_config.json: not valid JSON"), error.c_str());

        folder = copy("truncated");
        fs::resize_file(folder + "/adapter_model.safetensors",
                        fs::file_size(folder + "/adapter_model.safetensors") - 7);
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
        tensors.emplace_back("base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector",
                             torch::ones({32}));
        folder = writeFolder(dir, "magnitude", readJson(good + "/adapter_config.json"), tensors);
        error = errorOf([&] { lwb::importPeftAdapter(folder, *model); });
        QVERIFY2(contains(error, "not LoRA A/B weights") && contains(error, "lora_magnitude_vector"), error.c_str());
        QVERIFY(lwb::adaptedLayers(*model).empty());
    }

    void exportRunFromATrainingCheckpoint()
    {
        QTemporaryDir dir;
        nlohmann::json doc = {
            {"name", "export-run"},
            {"seed", 3},
            {"model",
             {{"preset", "llama-tiny"},
              {"hidden_size", 32},
              {"num_hidden_layers", 1},
              {"num_attention_heads", 4},
              {"num_key_value_heads", 2},
              {"intermediate_size", 48}}},
            {"data", {{"eval_examples", 8}}},
            {"adapter", {{"r", 4}, {"alpha", 8}, {"targets", {"q_proj", "v_proj"}}}},
            {"training",
             {{"steps", 3},
              {"batch_size", 2},
              {"warmup_steps", 1},
              {"lr", 0.05},
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
        QVERIFY2(contains(error, "adapter.init_from: the PEFT folder")
                     && contains(error, "has r 4, the run adapter.r 8") && contains(error, "targets [q_proj, v_proj]"),
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
        QVERIFY(
            contains(errorOf([&] { lwb::exportRun(bad); }), "\"onnx\" is not an export format of the lora variant"));
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
