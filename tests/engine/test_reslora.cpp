// ResLoRA against plain references written block by block and token by token
// in float64: forward output and the gradients of every block's A and B and
// of the stack's input (rel err <= 1e-10) for is, bs and ms with pre_num 1, 2
// and all; bs merged == unmerged (rel <= 1e-12); bs dropout with one mask
// per linked block (the official code) or one shared; for is and ms (both
// merge flags) a constructed stack where x_{n-1} = c x_n exactly, so the
// merge's assumption holds and merged == unmerged; is merge_bi (merged-weight
// norms) against the official formula, in place and in any merge order; the chain's state across
// gradient accumulation and evaluations; the norm windows (slide, padding,
// training only). Chains, checkpoints and config: test_reslora_setup.cpp.
#include "error_capture.h"

#include "engine/adapters/adapter_registry.h"
#include "engine/adapters/reslora_adapter.h"
#include "engine/adapters/reslora_merge.h"
#include "engine/model/causal_lm.h"

#include <QtTest>

#include <cmath>

namespace {

using lwb::ResLoraAdapterImpl;

constexpr std::int64_t kWidth = 6, kRank = 2, kBlocks = 4, kBatch = 2, kLength = 3;

double relativeError(const torch::Tensor &actual, const torch::Tensor &expected)
{
    return (actual - expected).norm().item<double>() / std::max(1e-300, expected.norm().item<double>());
}

lwb::ResLoraConfig resloraConfig(const std::string &variant, std::int64_t preNum, const std::string &merge = "merge_bw",
                                 std::int64_t window = 100)
{
    lwb::ResLoraConfig config;
    config.variant = variant;
    config.preNum = preNum;
    config.merge = merge;
    config.window = window;
    return config;
}

// kBlocks square layers of one target type ("transformer.h.N.mlp.c_fc"),
// linked into one chain by the same factory maker the registry uses; float64,
// random base weights, random B (at init B = 0 would hide A's gradient).
struct Stack
{
    std::vector<lwb::AdaptedLinear> linears;
    std::vector<std::shared_ptr<ResLoraAdapterImpl>> adapters;
    double scale = 0.0;

    void beginForward(const torch::Tensor &mask = {})
    {
        for (auto &adapter : adapters)
            adapter->beginForward({mask, {}});
    }

    // x_{n+1} = tanh(h_n): every block's input depends on the blocks before,
    // so the shortcuts' gradients reach earlier blocks. Returns every h_n.
    std::vector<torch::Tensor> forward(const torch::Tensor &x0, const torch::Tensor &mask = {})
    {
        beginForward(mask);
        std::vector<torch::Tensor> outputs;
        auto x = x0;
        for (auto &linear : linears) {
            outputs.push_back(linear->forward(x));
            x = torch::tanh(outputs.back());
        }
        return outputs;
    }

    void train(bool on)
    {
        for (auto &linear : linears)
            linear->train(on);
    }
};

Stack makeStack(const lwb::ResLoraConfig &config, double dropout = 0.0)
{
    lwb::LoraOptions lora;
    lora.rank = kRank;
    lora.alpha = 3.0;
    lora.dropout = dropout;
    Stack stack;
    std::vector<lwb::AdapterSite> sites;
    for (std::int64_t n = 0; n < kBlocks; ++n) {
        stack.linears.emplace_back(kWidth, kWidth, true);
        sites.push_back({"transformer.h." + std::to_string(n) + ".mlp.c_fc", "c_fc", n, kWidth, kWidth,
                         stack.linears.back().ptr()});
    }
    const auto factory = lwb::makeResLoraFactory(sites, lora, config);
    for (std::int64_t n = 0; n < kBlocks; ++n) {
        auto adapter = std::dynamic_pointer_cast<ResLoraAdapterImpl>(factory(sites[n], lwb::AdapterConfig{}));
        auto &linear = stack.linears[static_cast<std::size_t>(n)];
        linear->attach(adapter);
        linear->to(torch::kFloat64);
        torch::NoGradGuard noGrad;
        linear->weight.normal_(0.0, 0.5);
        linear->bias.normal_();
        linear->weight.set_requires_grad(false);
        linear->bias.set_requires_grad(false);
        adapter->loraB.normal_();
        stack.adapters.push_back(adapter);
    }
    stack.scale = lora.scale();
    return stack;
}

// The obvious computation, one block and one token at a time, on the
// caller's leaf copies of A and B (so backward() gives reference gradients).
std::vector<torch::Tensor> referenceForward(const Stack &stack, const std::vector<torch::Tensor> &as,
                                            const std::vector<torch::Tensor> &bs, const torch::Tensor &x0,
                                            const lwb::ResLoraConfig &config)
{
    const double s = stack.scale;
    const auto tokens = x0.size(0) * x0.size(1);
    std::vector<torch::Tensor> inputs; // x_n, [tokens, width]
    std::vector<torch::Tensor> outputs;
    auto x = x0.reshape({tokens, kWidth});
    for (std::int64_t n = 0; n < kBlocks; ++n) {
        inputs.push_back(x);
        const auto &linear = stack.linears[static_cast<std::size_t>(n)];
        const std::int64_t reach = config.preNum < 0 ? n : std::min<std::int64_t>(config.preNum, n);
        std::vector<torch::Tensor> rows;
        for (std::int64_t t = 0; t < tokens; ++t) {
            auto h = torch::mv(linear->weight, x[t]) + linear->bias;
            const auto un = static_cast<std::size_t>(n);
            if (config.variant == "is") {
                const auto previous = n == 0 ? x[t] : inputs[un - 1][t];
                h = h + s * torch::mv(bs[un], torch::mv(as[un], x[t] + previous));
            } else if (config.variant == "bs") {
                for (std::int64_t k = 0; k <= reach; ++k) {
                    const auto j = static_cast<std::size_t>(n - k);
                    h = h + s * torch::mv(bs[j], torch::mv(as[j], x[t]));
                }
            } else {
                auto sum = torch::zeros({kRank}, torch::kFloat64);
                for (std::int64_t k = 0; k <= reach; ++k) {
                    const auto j = static_cast<std::size_t>(n - k);
                    sum = sum + torch::mv(as[j], inputs[j][t]);
                }
                h = h + s * torch::mv(bs[un], sum);
            }
            rows.push_back(h);
        }
        outputs.push_back(torch::stack(rows).reshape({x0.size(0), x0.size(1), kWidth}));
        x = torch::tanh(torch::stack(rows));
    }
    return outputs;
}

torch::Tensor weightedSum(const std::vector<torch::Tensor> &outputs, const std::vector<torch::Tensor> &weights)
{
    auto total = torch::zeros({}, torch::kFloat64);
    for (std::size_t n = 0; n < outputs.size(); ++n)
        total = total + (outputs[n] * weights[n]).sum();
    return total;
}

std::vector<torch::Tensor> randomWeights()
{
    std::vector<torch::Tensor> weights;
    for (std::int64_t n = 0; n < kBlocks; ++n)
        weights.push_back(torch::randn({kBatch, kLength, kWidth}, torch::kFloat64));
    return weights;
}

torch::Tensor evalOutputs(Stack &stack, const torch::Tensor &x0)
{
    torch::NoGradGuard noGrad;
    stack.train(false);
    return torch::cat(stack.forward(x0));
}

// Feeds block n the input x0 * factor[n] directly (not through the previous
// block), in training mode, so that x_{n-1} = (factor[n-1] / factor[n]) x_n
// exactly; records the norm windows. Returns the blocks' outputs.
torch::Tensor forwardProportional(Stack &stack, const torch::Tensor &x0, const std::vector<double> &factor,
                                  bool training, const torch::Tensor &mask = {})
{
    torch::NoGradGuard noGrad;
    stack.train(training);
    stack.beginForward(mask);
    std::vector<torch::Tensor> outputs;
    for (std::int64_t n = 0; n < kBlocks; ++n)
        outputs.push_back(
            stack.linears[static_cast<std::size_t>(n)]->forward(x0 * factor[static_cast<std::size_t>(n)]));
    return torch::cat(outputs);
}

const std::vector<double> kFactors = {1.0, 0.5, 2.5, 1.75};

} // namespace

class TestResLora : public QObject
{
    Q_OBJECT

private slots:
    void init() { torch::manual_seed(5); }

    void forwardAndGradientsMatchReference_data()
    {
        QTest::addColumn<QString>("variant");
        QTest::addColumn<int>("preNum");
        for (const char *variant : {"is", "bs", "ms"}) {
            for (int preNum : {1, 2, -1})
                QTest::newRow((std::string(variant) + " pre_num " + std::to_string(preNum)).c_str())
                    << variant << preNum;
        }
    }

    void forwardAndGradientsMatchReference()
    {
        QFETCH(QString, variant);
        QFETCH(int, preNum);
        const auto config = resloraConfig(variant.toStdString(), preNum);
        auto stack = makeStack(config);
        stack.train(true);
        auto x0 = torch::randn({kBatch, kLength, kWidth}, torch::kFloat64).requires_grad_(true);
        const auto weights = randomWeights();
        const auto outputs = stack.forward(x0);
        weightedSum(outputs, weights).backward();

        std::vector<torch::Tensor> as, bs;
        for (const auto &adapter : stack.adapters) {
            as.push_back(adapter->loraA.detach().clone().requires_grad_(true));
            bs.push_back(adapter->loraB.detach().clone().requires_grad_(true));
        }
        auto refX0 = x0.detach().clone().requires_grad_(true);
        const auto reference = referenceForward(stack, as, bs, refX0, config);
        weightedSum(reference, weights).backward();

        for (std::size_t n = 0; n < outputs.size(); ++n) {
            const auto block = " block " + std::to_string(n);
            QVERIFY2(relativeError(outputs[n].detach(), reference[n].detach()) <= 1e-10, ("forward" + block).c_str());
            QVERIFY2(relativeError(stack.adapters[n]->loraA.grad(), as[n].grad()) <= 1e-10, ("A grad" + block).c_str());
            QVERIFY2(relativeError(stack.adapters[n]->loraB.grad(), bs[n].grad()) <= 1e-10, ("B grad" + block).c_str());
        }
        QVERIFY2(relativeError(x0.grad(), refX0.grad()) <= 1e-10, "input gradient");
    }

    void blockShortcutMergesExactly_data()
    {
        QTest::addColumn<int>("preNum");
        QTest::newRow("pre_num 1") << 1;
        QTest::newRow("pre_num 2") << 2;
        QTest::newRow("pre_num all") << -1;
    }

    void blockShortcutMergesExactly()
    {
        QFETCH(int, preNum);
        auto stack = makeStack(resloraConfig("bs", preNum));
        const auto x0 = torch::randn({kBatch, kLength, kWidth}, torch::kFloat64);
        const auto unmerged = evalOutputs(stack, x0);
        // The merged plain LoRA of block n has rank (min(m, n) + 1) r.
        for (std::int64_t n = 0; n < kBlocks; ++n) {
            const auto m = lwb::mergeResLoraBlock(stack.adapters[0]->chain(), n);
            const std::int64_t linked = preNum < 0 ? n : std::min<std::int64_t>(preNum, n);
            QCOMPARE(m.rank(), (linked + 1) * kRank);
        }
        for (auto &linear : stack.linears)
            linear->merge();
        const auto inPlace = evalOutputs(stack, x0);
        QVERIFY2(relativeError(inPlace, unmerged) <= 1e-12, "merged into the weights");
        for (auto &linear : stack.linears)
            linear->unmerge();
        QVERIFY2(relativeError(evalOutputs(stack, x0), unmerged) <= 1e-12, "unmerged again");
    }

    void mergedSwapComputesTheMergedLora()
    {
        // A model: the swap replaces each ResLoRA adapter by a plain LoRA with
        // the merged factors; for bs that is exact, and the swap undoes itself.
        lwb::ModelConfig model = lwb::modelPreset("gpt2-tiny");
        model.hiddenSize = 32;
        model.numLayers = 3;
        model.intermediateSize = 64;
        lwb::CausalLM lm(model);
        lwb::AdapterConfig adapter;
        adapter.variant = "reslora";
        adapter.targets = {"c_attn", "c_fc"};
        adapter.dropout = 0.0;
        adapter.reslora = resloraConfig("bs", -1);
        lwb::attachAdapters(*lm, adapter);
        lm->to(torch::kFloat64);
        {
            torch::NoGradGuard noGrad;
            for (auto &item : lm->named_parameters()) {
                if (item.key().find("lora_B") != std::string::npos)
                    item.value().normal_(0.0, 0.1);
            }
        }
        lm->eval();
        torch::NoGradGuard noGrad;
        const auto ids = torch::randint(0, 200, {2, 9}, torch::kInt64);
        const auto before = lm->forward(ids);
        const auto layers = lwb::mergedResLoraLayers(*lm);
        QCOMPARE(layers.size(), std::size_t(6)); // 3 blocks x (c_attn, c_fc)
        QCOMPARE(layers[0].path, std::string("transformer.h.0.attn.c_attn"));
        torch::Tensor swapped;
        {
            lwb::MergedResLoraSwap swap(*lm);
            QCOMPARE(swap.swapped(), std::size_t(6));
            for (const auto &entry : lwb::adaptedLayers(*lm))
                QVERIFY(std::dynamic_pointer_cast<lwb::LoraAdapterImpl>(entry.layer->adapter()));
            swapped = lm->forward(ids);
        }
        QVERIFY2(relativeError(swapped, before) <= 1e-12, "bs swapped for its merged LoRA");
        for (const auto &entry : lwb::adaptedLayers(*lm))
            QVERIFY(std::dynamic_pointer_cast<ResLoraAdapterImpl>(entry.layer->adapter()));
        QVERIFY2(torch::equal(lm->forward(ids), before), "ResLoRA back in place");
    }

    void inputShortcutMergeIsExactForProportionalInputs_data()
    {
        QTest::addColumn<bool>("padding");
        QTest::newRow("all tokens real") << false;
        QTest::newRow("padding ignored by the norms") << true;
    }

    void inputShortcutMergeIsExactForProportionalInputs()
    {
        QFETCH(bool, padding);
        auto stack = makeStack(resloraConfig("is", 1));
        const auto x0 = torch::randn({kBatch, kLength, kWidth}, torch::kFloat64);
        auto mask = torch::ones({kBatch, kLength}, torch::kBool);
        if (padding)
            mask[1][2] = false;
        // Training batches: padded positions hold noise that is not
        // proportional; the norms must look at the real tokens only.
        for (int batch = 0; batch < 3; ++batch) {
            auto noisy = x0.clone();
            if (padding)
                noisy[1][2] = torch::randn({kWidth}, torch::kFloat64) * 10.0;
            stack.train(true);
            stack.beginForward(mask);
            torch::NoGradGuard noGrad;
            for (std::int64_t n = 0; n < kBlocks; ++n) {
                auto input = noisy * kFactors[static_cast<std::size_t>(n)];
                if (padding)
                    input[1][2] = torch::randn({kWidth}, torch::kFloat64) * 10.0;
                stack.linears[static_cast<std::size_t>(n)]->forward(input);
            }
        }
        for (std::int64_t n = 0; n < kBlocks; ++n) {
            const double expected = n == 0 ? 1.0 : kFactors[n - 1] / kFactors[n];
            const auto c = lwb::resLoraMergeCoefficients(stack.adapters[0]->chain(), n);
            QVERIFY2(std::abs(c.alpha - expected) <= 1e-12, ("alpha of block " + std::to_string(n)).c_str());
            // The formula: B* = (1 + alpha) B, A* = A.
            const auto m = lwb::mergeResLoraBlock(stack.adapters[0]->chain(), n);
            QVERIFY(relativeError(m.loraB, (1.0 + expected) * stack.adapters[n]->loraB) <= 1e-14);
            QVERIFY(relativeError(m.loraA, stack.adapters[n]->loraA) == 0.0);
        }
        const auto unmerged = forwardProportional(stack, x0, kFactors, false);
        for (auto &linear : stack.linears)
            linear->merge();
        const auto merged = forwardProportional(stack, x0, kFactors, false);
        QVERIFY2(relativeError(merged, unmerged) <= 1e-12, "merged == unmerged when x_{n-1} = c x_n");
    }

    void middleShortcutMergeIsExactForProportionalInputs_data()
    {
        // Official layers.py, ResLoraLinear with res_flag 3: merge_flag 4
        // (merge_bw) alpha = sum_k froc_{n-k} / froc_n over ||x A^T|| windows,
        // eval output (1 + alpha) B A x; merge_flag 3 (merge_bi) froc over
        // ||x|| windows, eval adds sum_k (froc_{n-k} / froc_n) x A_{n-k}^T
        // to x A_n^T before B_n.
        QTest::addColumn<QString>("merge");
        QTest::addColumn<int>("preNum");
        QTest::newRow("merge_bw, pre_num 2") << "merge_bw" << 2;
        QTest::newRow("merge_bw, all") << "merge_bw" << -1;
        QTest::newRow("merge_bi, pre_num 1") << "merge_bi" << 1;
        QTest::newRow("merge_bi, all") << "merge_bi" << -1;
    }

    void middleShortcutMergeIsExactForProportionalInputs()
    {
        QFETCH(QString, merge);
        QFETCH(int, preNum);
        const bool paper = merge == QLatin1String("merge_bw");
        auto stack = makeStack(resloraConfig("ms", preNum, merge.toStdString()));
        if (paper) {
            // The paper's form assumes A_{n-k} x_{n-k} = c A_n x_n: with one A
            // for every block and proportional inputs that holds exactly.
            torch::NoGradGuard noGrad;
            for (auto &adapter : stack.adapters)
                adapter->loraA.copy_(stack.adapters[0]->loraA);
        }
        const auto x0 = torch::randn({kBatch, kLength, kWidth}, torch::kFloat64);
        forwardProportional(stack, x0, kFactors, true);
        forwardProportional(stack, x0, kFactors, true);
        const auto &chain = stack.adapters[0]->chain();
        for (std::int64_t n = 0; n < kBlocks; ++n) {
            const std::int64_t reach = preNum < 0 ? n : std::min<std::int64_t>(preNum, n);
            const auto c = lwb::resLoraMergeCoefficients(chain, n);
            QCOMPARE(static_cast<std::int64_t>(c.earlier.size()), reach);
            double alpha = 0.0;
            auto aStar = stack.adapters[n]->loraA.detach().clone();
            for (std::int64_t k = 1; k <= reach; ++k) {
                const double expected = kFactors[n - k] / kFactors[n];
                QVERIFY(std::abs(c.earlier[static_cast<std::size_t>(k - 1)] - expected) <= 1e-12);
                alpha += expected;
                aStar = aStar + expected * stack.adapters[n - k]->loraA.detach();
            }
            const auto m = lwb::mergeResLoraBlock(chain, n);
            if (paper) {
                QVERIFY(relativeError(m.loraB, (1.0 + alpha) * stack.adapters[n]->loraB) <= 1e-14);
            } else {
                QVERIFY(relativeError(m.loraA, aStar) <= 1e-14);
                QVERIFY(relativeError(m.loraB, stack.adapters[n]->loraB) == 0.0);
            }
        }
        const auto unmerged = forwardProportional(stack, x0, kFactors, false);
        for (auto &linear : stack.linears)
            linear->merge();
        QVERIFY2(relativeError(forwardProportional(stack, x0, kFactors, false), unmerged) <= 1e-12,
                 "merged == unmerged when x_{n-k} = c x_n");
    }

    void isMergeBiFollowsOfficialFlag3()
    {
        // Official layers.py, res_flag 1 / merge_flag 3 (README: merge_bi):
        // calculate_froc froc = ||W + sum A^T B^T||_F, calculate_alpha
        // alpha = pre.pre.froc / pre.froc (1 without two predecessors). We
        // read the merged weight as W + s B A (the official A^T B^T only
        // types for square layers and leaves s out; README says so).
        auto stack = makeStack(resloraConfig("is", 1, "merge_bi"));
        // f*_j = ||W_j + s B_j A_j||_F, alpha_n = f*_{n-2} / f*_{n-1} (1 for n < 2).
        std::vector<double> fStar;
        for (std::int64_t n = 0; n < kBlocks; ++n) {
            const auto &adapter = stack.adapters[n];
            fStar.push_back((stack.linears[n]->weight + stack.scale * torch::matmul(adapter->loraB, adapter->loraA))
                                .norm()
                                .item<double>());
        }
        const auto &chain = stack.adapters[0]->chain();
        std::vector<lwb::MergedLora> snapshot;
        for (std::int64_t n = 0; n < kBlocks; ++n) {
            const double expected = n < 2 ? 1.0 : fStar[n - 2] / fStar[n - 1];
            QVERIFY2(std::abs(lwb::resLoraMergeCoefficients(chain, n).alpha - expected) <= 1e-12,
                     ("alpha of block " + std::to_string(n)).c_str());
            snapshot.push_back(lwb::mergeResLoraBlock(chain, n));
            QVERIFY(relativeError(snapshot.back().loraB, (1.0 + expected) * stack.adapters[n]->loraB) <= 1e-14);
        }
        // Merging layer by layer writes W_0 and W_1 before block 2 reads
        // them: the frozen weights are recovered, so every block adds its
        // snapshot's delta whatever the order.
        std::vector<torch::Tensor> frozen;
        for (auto &linear : stack.linears)
            frozen.push_back(linear->weight.detach().clone());
        for (std::int64_t n = 0; n < kBlocks; ++n)
            stack.linears[n]->merge();
        for (std::int64_t n = 0; n < kBlocks; ++n) {
            const auto &m = snapshot[n];
            const auto expected = frozen[n] + m.scale * torch::matmul(m.loraB, m.loraA);
            QVERIFY2(relativeError(stack.linears[n]->weight, expected) <= 1e-14,
                     ("merged W " + std::to_string(n)).c_str());
        }
        for (std::int64_t n = kBlocks - 1; n >= 0; --n)
            stack.linears[n]->unmerge();
        for (std::int64_t n = 0; n < kBlocks; ++n)
            QVERIFY(relativeError(stack.linears[n]->weight, frozen[n]) <= 1e-14);
    }

    void blockShortcutDropoutMasks_data()
    {
        QTest::addColumn<QString>("bsDropout");
        QTest::newRow("per_block (official)") << "per_block";
        QTest::newRow("shared") << "shared";
    }

    void blockShortcutDropoutMasks()
    {
        // Official layers.py, res_flag 2: result += cur_lora.loras[j](x) for
        // this block and each earlier one, and each LoraBlock.forward applies
        // its own nn.Dropout: one independent mask per linked block. Block 2
        // (pre_num 2) is set up so its delta shows each block's mask:
        // x = 1, A_k picks input features (0, 1), B_k writes them to output
        // features (2k', 2k'+1), k' = 0 for this block, 1, 2 for the earlier
        // ones; so delta / s = [d_2(x)_{0,1}, d_1(x)_{0,1}, d_0(x)_{0,1}].
        QFETCH(QString, bsDropout);
        auto config = resloraConfig("bs", 2);
        config.bsDropout = bsDropout.toStdString();
        constexpr double kP = 0.5;
        auto stack = makeStack(config, kP);
        {
            torch::NoGradGuard noGrad;
            for (std::int64_t n = 0; n < 3; ++n) {
                auto &adapter = *stack.adapters[static_cast<std::size_t>(n)];
                adapter.loraA.zero_();
                adapter.loraA[0][0] = 1.0;
                adapter.loraA[1][1] = 1.0;
                adapter.loraB.zero_();
                const auto slot = 2 - n;
                adapter.loraB[2 * slot][0] = 1.0;
                adapter.loraB[2 * slot + 1][1] = 1.0;
            }
        }
        stack.train(true);
        const auto ones = torch::ones({1, 1, kWidth}, torch::kFloat64);
        int differing = 0;
        for (int trial = 0; trial < 40; ++trial) {
            stack.beginForward();
            torch::Tensor out;
            for (std::int64_t n = 0; n < 3; ++n)
                out = stack.linears[static_cast<std::size_t>(n)]->forward(ones);
            const auto &linear = stack.linears[2];
            const auto delta
                = ((out - torch::matmul(ones, linear->weight.t()) - linear->bias) / stack.scale).reshape({3, 2});
            // Each entry is a dropout draw of 1: 0 or 1 / (1 - p).
            QVERIFY(((delta.abs() < 1e-12) | ((delta - 1.0 / (1.0 - kP)).abs() < 1e-12)).all().item<bool>());
            const auto kept = delta > 0.5 / (1.0 - kP); // the masks, free of the base's rounding
            const bool same = torch::equal(kept[0], kept[1]) && torch::equal(kept[1], kept[2]);
            differing += same ? 0 : 1;
        }
        if (bsDropout == QLatin1String("shared"))
            QCOMPARE(differing, 0);
        else
            QVERIFY2(differing > 10, "independent masks differ in most of 40 passes (P(same) = 1/16 each)");
    }

    void accumulationAndEvaluationSeeFreshState_data()
    {
        QTest::addColumn<QString>("variant");
        QTest::newRow("is") << "is";
        QTest::newRow("bs") << "bs";
        QTest::newRow("ms") << "ms";
    }

    void accumulationAndEvaluationSeeFreshState()
    {
        // Two micro-batches of different shapes accumulated, with an
        // evaluation of a third shape in between, give the sum of the
        // gradients each micro-batch gives alone.
        QFETCH(QString, variant);
        const auto config = resloraConfig(variant.toStdString(), 2);
        auto stack = makeStack(config);
        const auto first = torch::randn({2, 3, kWidth}, torch::kFloat64);
        const auto second = torch::randn({3, 2, kWidth}, torch::kFloat64);
        const auto between = torch::randn({1, 5, kWidth}, torch::kFloat64);
        const auto loss = [](const std::vector<torch::Tensor> &outputs) {
            auto total = torch::zeros({}, torch::kFloat64);
            for (const auto &h : outputs)
                total = total + h.pow(2).sum();
            return total;
        };
        std::vector<torch::Tensor> alone;
        for (const auto &batch : {first, second}) {
            for (auto &adapter : stack.adapters) {
                adapter->loraA.mutable_grad() = torch::Tensor();
                adapter->loraB.mutable_grad() = torch::Tensor();
            }
            stack.train(true);
            loss(stack.forward(batch)).backward();
            for (auto &adapter : stack.adapters) {
                alone.push_back(adapter->loraA.grad().clone());
                alone.push_back(adapter->loraB.grad().clone());
            }
        }
        for (auto &adapter : stack.adapters) {
            adapter->loraA.mutable_grad() = torch::Tensor();
            adapter->loraB.mutable_grad() = torch::Tensor();
        }
        stack.train(true);
        loss(stack.forward(first)).backward();
        {
            torch::NoGradGuard noGrad;
            stack.train(false);
            stack.forward(between);
        }
        stack.train(true);
        loss(stack.forward(second)).backward();
        const std::size_t perBatch = 2 * kBlocks;
        for (std::size_t n = 0; n < stack.adapters.size(); ++n) {
            QVERIFY(relativeError(stack.adapters[n]->loraA.grad(), alone[2 * n] + alone[perBatch + 2 * n]) <= 1e-12);
            QVERIFY(relativeError(stack.adapters[n]->loraB.grad(), alone[2 * n + 1] + alone[perBatch + 2 * n + 1])
                    <= 1e-12);
        }
    }

    void blocksOutOfOrderAreAnError()
    {
        auto stack = makeStack(resloraConfig("is", 1));
        stack.beginForward();
        const auto x = torch::randn({kBatch, kLength, kWidth}, torch::kFloat64);
        const auto error = lwb::test::errorOf([&] { stack.linears[1]->forward(x); });
        QVERIFY2(lwb::test::contains(error, "transformer.h.0.mlp.c_fc")
                     && lwb::test::contains(error, "must run in layer order"),
                 error.c_str());
        stack.linears[0]->forward(x);
        const auto shapes = lwb::test::errorOf([&] {
            stack.linears[1]->forward(torch::randn({1, 2, kWidth}, torch::kFloat64));
        });
        QVERIFY2(lwb::test::contains(shapes, "leading shape"), shapes.c_str());
    }

    void normWindowSlidesAndRecordsOnlyInTraining()
    {
        auto stack = makeStack(resloraConfig("ms", 1, "merge_bw", /*window=*/3));
        auto &block = *stack.adapters[0];
        QCOMPARE(block.meanInputNorm(), 0.0); // nothing recorded yet
        std::vector<double> norms;
        for (int batch = 1; batch <= 5; ++batch) {
            const auto x = torch::randn({kBatch, kLength, kWidth}, torch::kFloat64) * batch;
            norms.push_back(x.norm().item<double>());
            stack.train(true);
            stack.beginForward();
            torch::NoGradGuard noGrad;
            stack.linears[0]->forward(x);
        }
        QVERIFY(std::abs(block.meanInputNorm() - (norms[2] + norms[3] + norms[4]) / 3.0) <= 1e-12 * norms[4]);
        QVERIFY(block.meanHiddenNorm() > 0.0);
        const double before = block.meanInputNorm();
        {
            torch::NoGradGuard noGrad;
            stack.train(false);
            stack.beginForward();
            stack.linears[0]->forward(torch::randn({kBatch, kLength, kWidth}, torch::kFloat64) * 100.0);
        }
        QCOMPARE(block.meanInputNorm(), before); // evaluation leaves the window alone
        // bs needs no norms and keeps no buffers.
        auto bs = makeStack(resloraConfig("bs", 1));
        QVERIFY(bs.adapters[0]->buffers().empty());
    }
};

QTEST_APPLESS_MAIN(TestResLora)
#include "test_reslora.moc"
