// DLP-LoRA's fused forward on a GPU (engine/adapters/dlp_fused_adapter.h):
// planning a weight set never waits for the device. With the router's host
// weights the plan is made on the host and its few tensors go over by
// non-blocking copies from pinned memory; weights that live on the device
// take the stacked path over every LoRA, so their zeros are never read back.
// Both run under CUDA's sync debug mode "error" (any wait throws) and give
// the CPU's output to float rounding. Skipped without a GPU; the CPU paths
// are checked against the loop reference in test_dlp.
#include "engine/adapters/dlp_fused_adapter.h"

#include <c10/cuda/CUDAFunctions.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include <QtTest>

namespace {

using Path = lwb::DlpFusedAdapterImpl::Path;

// Runs `forward` with device waits turned into errors.
torch::Tensor withoutWaits(const std::function<torch::Tensor()> &forward)
{
    auto &state = c10::cuda::warning_state();
    state.set_sync_debug_mode(c10::cuda::SyncDebugMode::L_ERROR);
    try {
        auto out = forward();
        state.set_sync_debug_mode(c10::cuda::SyncDebugMode::L_DISABLED);
        return out;
    } catch (...) {
        state.set_sync_debug_mode(c10::cuda::SyncDebugMode::L_DISABLED);
        throw;
    }
}

} // namespace

class TestDlpFusedDevice : public QObject
{
    Q_OBJECT

private slots:
    void fusedForwardWithoutWaitsOnCuda()
    {
        if (!torch::cuda::is_available())
            QSKIP("no CUDA device");
        torch::NoGradGuard noGrad;
        torch::manual_seed(2);
        constexpr std::int64_t kIn = 16, kOut = 12, kTasks = 6, kRank = 4;
        auto cpu = std::make_shared<lwb::DlpFusedAdapterImpl>(kIn, kOut, kTasks, kRank);
        for (std::int64_t i = 0; i < kTasks; ++i)
            cpu->setTaskLora(i, torch::randn({kRank - i % 2, kIn}), torch::randn({kOut, kRank - i % 2}), 0.5 + i);
        auto cuda = std::make_shared<lwb::DlpFusedAdapterImpl>(kIn, kOut, kTasks, kRank);
        cuda->loraA.copy_(cpu->loraA);
        cuda->loraB.copy_(cpu->loraB);
        cuda->taskScale.copy_(cpu->taskScale);
        cuda->to(torch::kCUDA);
        cuda->loraA.set_requires_grad(false);
        cuda->loraB.set_requires_grad(false);
        const auto x = torch::randn({3, 5, kIn});
        // Each sequence uses two of the six LoRAs (the router's host weights, float64).
        auto weights = torch::zeros({3, kTasks}, torch::kFloat64);
        weights[0][1] = 0.7, weights[0][4] = 0.3, weights[1][0] = 1.0, weights[2][2] = 0.4, weights[2][5] = 0.6;
        for (const auto path : {Path::Stacked, Path::PerSequence}) {
            cpu->setPath(path);
            cuda->setPath(path);
            cpu->setFusionWeights(weights);
            cuda->setFusionWeights(weights);
            const auto expected = cpu->delta(x);
            const auto xCuda = x.to(torch::kCUDA);
            const auto first = withoutWaits([&] { return cuda->delta(xCuda); });  // plans
            const auto second = withoutWaits([&] { return cuda->delta(xCuda); }); // reuses the plan
            QVERIFY(torch::allclose(first.cpu(), expected, 1e-5, 1e-5));
            QVERIFY(torch::equal(first, second));
            QCOMPARE(cuda->lastForwardPerSequence(), path == Path::PerSequence);
        }
        // Weights on the device: stacked over every LoRA, nothing read back.
        cuda->setPath(Path::Auto);
        cuda->setFusionWeights(weights.to(torch::kCUDA));
        const auto xCuda = x.to(torch::kCUDA);
        const auto onDevice = withoutWaits([&] { return cuda->delta(xCuda); });
        QVERIFY(torch::allclose(onDevice.cpu(), cpu->delta(x), 1e-5, 1e-5));
        QVERIFY(!cuda->lastForwardPerSequence());
    }
};

QTEST_APPLESS_MAIN(TestDlpFusedDevice)
#include "test_dlp_fused_device.moc"
