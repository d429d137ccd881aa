// The base a run starts from (engine/model/base_model.h): a Hugging Face
// folder named by model.path trains exactly as the preset it was written
// from; "builtin:" names resolve or are refused with the places searched; and
// variant "full" (lorawb pretrain) trains every weight and resumes exactly.
#include "engine/config/run_config.h"
#include "engine/core/error.h"
#include "engine/model/base_model.h"
#include "engine/model/hf_checkpoint.h"
#include "engine/tensor_io/safetensors_writer.h"
#include "engine/train/trainer.h"
#include "train_observers.h"

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>

namespace {

using lwb::test::Collect;
using lwb::test::StopAt;

nlohmann::json smallModel()
{
    return {{"preset", "llama-tiny"},   {"hidden_size", 64},        {"num_hidden_layers", 2},
            {"num_attention_heads", 4}, {"num_key_value_heads", 2}, {"intermediate_size", 96}};
}

nlohmann::json runDocument(const nlohmann::json &model, const std::string &variant, const QString &outputDir)
{
    return {
        {"name", "base-model-test"},
        {"seed", 3},
        {"model", model},
        {"data", {{"eval_examples", 8}}},
        {"adapter", {{"variant", variant}, {"r", 4}, {"alpha", 8}, {"dropout", 0.1}}},
        {"training", {{"steps", 6}, {"batch_size", 4}, {"warmup_steps", 2}, {"output_dir", outputDir.toStdString()}}},
        {"eval", {{"every", 0}, {"batch_size", 8}}},
    };
}

// Writes the preset's random base as a Hugging Face folder.
void writeBaseFolder(const nlohmann::json &model, const QString &folder)
{
    const auto config = lwb::parseRunConfig({{"model", model}}, "test").model;
    lwb::CausalLM base(config);
    std::ofstream(folder.toStdString() + "/config.json") << lwb::hfConfigJson(config, "float32").dump(2);
    lwb::writeSafetensors(folder.toStdString() + "/model.safetensors", lwb::hfStateDict(*base));
}

} // namespace

class TestBaseModel : public QObject
{
    Q_OBJECT

private slots:
    void aCheckpointFolderTrainsLikeItsPreset()
    {
        QTemporaryDir folder, runA, runB;
        writeBaseFolder(smallModel(), folder.path());

        lwb::Trainer fromPreset(lwb::parseRunConfig(runDocument(smallModel(), "lora", runA.path()), "test"));
        const auto fromPathConfig
            = lwb::parseRunConfig(runDocument({{"path", folder.path().toStdString()}}, "lora", runB.path()), "test");
        QCOMPARE(fromPathConfig.model.hiddenSize, std::int64_t(64));
        QCOMPARE(fromPathConfig.model.numKvHeads, std::int64_t(2));
        lwb::Trainer fromPath(fromPathConfig);
        QCOMPARE(fromPreset.run(), lwb::RunOutcome::Finished);
        QCOMPARE(fromPath.run(), lwb::RunOutcome::Finished);
        QCOMPARE(fromPath.losses(), fromPreset.losses()); // the same weights, bit for bit

        // The stored config names the folder and re-parses to the same model.
        const auto stored = fromPathConfig.toJson();
        QCOMPARE(stored["model"]["path"].get<std::string>(), folder.path().toStdString());
        QVERIFY(!stored["model"].contains("preset"));
        QCOMPARE(lwb::parseRunConfig(stored, "stored").toJson(), stored);
    }

    void modelPathMistakesAreNamed()
    {
        QTemporaryDir folder;
        writeBaseFolder(smallModel(), folder.path());
        const auto path = folder.path().toStdString();
        const auto issuesOf = [](const nlohmann::json &model) {
            try {
                lwb::parseRunConfig({{"model", model}}, "test.json");
            } catch (const lwb::ConfigError &error) {
                std::string all;
                for (const auto &issue : error.issues())
                    all += issue.path + ": " + issue.reason + "\n";
                return all;
            }
            return std::string();
        };
        QVERIFY(issuesOf({{"path", path}}).empty());
        QVERIFY(issuesOf({{"path", path}, {"hidden_size", 64}}).empty()); // agreeing keys are fine
        QVERIFY(issuesOf({{"path", path}, {"hidden_size", 128}}).find("model.hidden_size: differs from the checkpoint")
                != std::string::npos);
        QVERIFY(issuesOf({{"path", path}, {"preset", "gpt2-tiny"}}).find("model.preset: not used with model.path")
                != std::string::npos);
        QVERIFY(
            issuesOf({{"path", path + "/missing"}}).find("model.path: \"" + path + "/missing\" is not a Hugging Face")
            != std::string::npos);
        const auto builtin = issuesOf({{"path", "builtin:no-such-model"}});
        QVERIFY2(builtin.find("model.path: no built-in model \"no-such-model\" in ") != std::string::npos,
                 builtin.c_str());
    }

    void fullVariantTrainsEveryWeightAndResumes()
    {
        QTemporaryDir whole, parts;
        const auto config
            = [&](const QString &dir) { return lwb::parseRunConfig(runDocument(smallModel(), "full", dir), "test"); };
        lwb::Trainer uninterrupted(config(whole.path()));
        Collect collect;
        uninterrupted.addObserver(&collect);
        QCOMPARE(uninterrupted.run(), lwb::RunOutcome::Finished);
        QCOMPARE(collect.started.trainableParameters, collect.started.totalParameters);
        // Every base weight moved away from the preset's random start.
        lwb::CausalLM start(config(whole.path()).model);
        const auto trained = uninterrupted.model()->named_parameters();
        for (const auto &item : start->named_parameters())
            QVERIFY2(!torch::equal(item.value(), trained[item.key()]), item.key().c_str());

        lwb::Trainer firstHalf(config(parts.path()));
        StopAt stop(firstHalf, 3);
        firstHalf.addObserver(&stop);
        QCOMPARE(firstHalf.run(), lwb::RunOutcome::Cancelled);
        auto resumed = config(parts.path());
        resumed.training.resumeFrom = parts.path().toStdString();
        lwb::Trainer secondHalf(resumed);
        QCOMPARE(secondHalf.run(), lwb::RunOutcome::Finished);
        const std::vector<double> expected(uninterrupted.losses().begin() + 3, uninterrupted.losses().end());
        QCOMPARE(secondHalf.losses(), expected);
    }
};

QTEST_APPLESS_MAIN(TestBaseModel)
#include "test_base_model.moc"
