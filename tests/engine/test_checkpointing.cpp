// Activation checkpointing (training.gradient_checkpointing,
// engine/model/block_checkpoint.h): recomputing each decoder block in
// backward must give exactly the gradients of the ordinary backward on the
// CPU in float32, dropout included (the generator is replayed), so a
// checkpointed run is bitwise the run without it. The reference is the same
// model's ordinary autograd pass; equality is exact (torch::equal).
#include "engine/adapters/adapter_registry.h"
#include "engine/config/run_config.h"
#include "engine/core/error.h"
#include "engine/model/base_model.h"
#include "engine/train/precision.h"
#include "engine/train/trainer.h"

#include <QTemporaryDir>
#include <QtTest>

namespace {

lwb::RunConfig runConfig(const QString &outputDir, bool checkpointing, const std::string &variant = "lora")
{
    nlohmann::json doc = {
        {"name", "checkpointing-test"},
        {"seed", 11},
        {"model", {{"preset", "llama-tiny"}}},
        {"data", {{"eval_examples", 8}}},
        {"adapter", {{"variant", variant}, {"r", 4}, {"alpha", 8}, {"dropout", 0.1}}},
        {"training",
         {{"steps", 6},
          {"batch_size", 4},
          {"grad_accum", 2},
          {"warmup_steps", 1},
          {"gradient_checkpointing", checkpointing},
          {"output_dir", outputDir.toStdString()}}},
        {"eval", {{"every", 0}, {"batch_size", 8}}},
    };
    return lwb::parseRunConfig(doc, "test");
}

// Gradients of every trainable parameter after one forward/backward of the
// model, with dropout drawn from a generator seeded identically each time.
std::vector<torch::Tensor> gradientsOfOnePass(lwb::CausalLMImpl &model, const torch::Tensor &ids, bool checkpointing,
                                              lwb::Precision precision)
{
    model.setGradientCheckpointing(checkpointing);
    model.zero_grad();
    torch::manual_seed(99);
    torch::Tensor loss;
    {
        lwb::AutocastScope autocast(torch::kCPU, precision);
        loss = model.forward(ids).to(torch::kFloat32).logsumexp(-1).mean();
    }
    loss.backward();
    std::vector<torch::Tensor> grads;
    for (const auto &[name, parameter] : lwb::trainableParameters(model))
        grads.push_back(parameter.grad().clone());
    return grads;
}

void compareGradients(lwb::CausalLMImpl &model, lwb::Precision precision)
{
    const auto ids = torch::randint(0, model.config().vocabSize, {2, 24}, torch::kInt64);
    const auto plain = gradientsOfOnePass(model, ids, false, precision);
    const auto recomputed = gradientsOfOnePass(model, ids, true, precision);
    QCOMPARE(recomputed.size(), plain.size());
    QVERIFY(!plain.empty());
    for (std::size_t i = 0; i < plain.size(); ++i) {
        QVERIFY(plain[i].abs().sum().item<double>() > 0.0); // a gradient that says something
        QVERIFY2(torch::equal(recomputed[i], plain[i]), ("parameter " + std::to_string(i)).c_str());
    }
}

} // namespace

class TestCheckpointing : public QObject
{
    Q_OBJECT

private slots:
    void loraGradientsEqualExactlyWithDropout()
    {
        auto model = lwb::buildBaseModel(lwb::modelPreset("llama-tiny"));
        lwb::AdapterConfig adapter;
        adapter.targets = lwb::linearLayerNames(lwb::Architecture::Llama);
        adapter.dropout = 0.1; // the recomputation must draw the same masks
        torch::manual_seed(1);
        lwb::attachAdapters(*model, adapter);
        {
            torch::NoGradGuard noGrad; // B = 0 at init would make A's gradient zero
            for (auto &[name, parameter] : lwb::trainableParameters(*model))
                parameter.normal_(0.0, 0.05);
        }
        model->train();
        compareGradients(*model, lwb::Precision::Fp32);
    }

    // Variant "full": every block weight trains, and the first block's input
    // (the embedding output) needs a gradient too.
    void fullFineTuningGradientsEqualExactly()
    {
        auto model = lwb::buildBaseModel(lwb::modelPreset("gpt2-tiny"));
        model->train();
        compareGradients(*model, lwb::Precision::Fp32);
    }

    // Under bf16 autocast the recomputation re-enters the forward's autocast
    // state (backward runs outside the caller's scope): still bitwise.
    void bf16AutocastGradientsEqualExactly()
    {
        auto model = lwb::buildBaseModel(lwb::modelPreset("llama-tiny"), torch::kBFloat16);
        lwb::AdapterConfig adapter;
        adapter.targets = lwb::linearLayerNames(lwb::Architecture::Llama);
        torch::manual_seed(2);
        lwb::attachAdapters(*model, adapter);
        {
            torch::NoGradGuard noGrad;
            for (auto &[name, parameter] : lwb::trainableParameters(*model))
                parameter.normal_(0.0, 0.05);
        }
        model->train();
        compareGradients(*model, lwb::Precision::Bf16);
    }

    void generatorIsLeftWhereTheForwardLeftIt()
    {
        auto model = lwb::buildBaseModel(lwb::modelPreset("llama-tiny"));
        lwb::AdapterConfig adapter;
        adapter.targets = lwb::linearLayerNames(lwb::Architecture::Llama);
        lwb::attachAdapters(*model, adapter);
        model->train();
        model->setGradientCheckpointing(true);
        const auto ids = torch::randint(0, model->config().vocabSize, {1, 16}, torch::kInt64);
        torch::manual_seed(5);
        const auto loss = model->forward(ids).logsumexp(-1).mean();
        const auto afterForward = torch::rand({4});
        torch::manual_seed(5);
        const auto again = model->forward(ids).logsumexp(-1).mean();
        again.backward(); // replays the forward's draws, then restores the generator
        QVERIFY(torch::equal(torch::rand({4}), afterForward));
        (void)loss;
    }

    void checkpointedRunIsBitwiseTheSameRun()
    {
        QTemporaryDir a, b;
        lwb::Trainer plain(runConfig(a.path(), false));
        lwb::Trainer recomputed(runConfig(b.path(), true));
        QCOMPARE(plain.run(), lwb::RunOutcome::Finished);
        QCOMPARE(recomputed.run(), lwb::RunOutcome::Finished);
        QCOMPARE(recomputed.losses(), plain.losses()); // exact equality of doubles
    }

    void routedAdapterIsRefusedWithTheReason()
    {
        QTemporaryDir dir;
        lwb::Trainer trainer(runConfig(dir.path(), true, "sira"));
        try {
            trainer.run();
            QFAIL("SiRA with gradient checkpointing started");
        } catch (const lwb::Error &error) {
            QCOMPARE(QString::fromStdString(error.where()), QStringLiteral("training.gradient_checkpointing"));
            QVERIFY(error.reason().find("sira") != std::string::npos);
        }
    }
};

QTEST_GUILESS_MAIN(TestCheckpointing)
#include "test_checkpointing.moc"
