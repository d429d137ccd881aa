// DLP-LoRA's encoder plugin (engine/dlp/plugin_encoder.h, plugin.kind
// "encoder") and the plugin factory (engine/dlp/dlp_plugin.h). Checked:
// - forward in float64 against a plain loop reference written from the
//   formulas (embeddings + positions, LayerNorm, per-head softmax attention,
//   exact GELU, post-LN residuals, first token, LayerNorm, Linear) that
//   drops the padding tokens altogether instead of masking them;
// - every parameter's gradient against central finite differences of that
//   reference;
// - forward and gradients against PyTorch's own nn.TransformerEncoderLayer
//   stack (tests/fixtures/dlp_plugin_encoder/encoder_reference.json, torch
//   2.13; make_encoder_reference.py beside it rebuilds it);
// - sized to ~5M parameters like the MLP; parameterCount() = the formula;
// - learns the built-in tasks (held-out accuracy far above chance, fixed seed);
// - the factory builds each kind; config errors name the file and the key.
#include "engine/config/run_config.h"
#include "engine/data/batch_builder.h"
#include "engine/data/task_generator.h"
#include "engine/dlp/dlp_plugin.h"
#include "engine/dlp/plugin_encoder.h"
#include "engine/dlp/plugin_training.h"
#include "error_capture.h"

#include <QtTest>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>

namespace {

using Vector = std::vector<double>;
using Parameters = std::map<std::string, torch::Tensor>; // name -> CPU float64

double at(const torch::Tensor &t, std::int64_t i)
{
    return t.data_ptr<double>()[i];
}

// W [out, in] x + b, rows `first` .. first + out of W when W stacks several.
Vector affine(const torch::Tensor &w, const torch::Tensor &b, const Vector &x, std::int64_t first = 0,
              std::int64_t out = -1)
{
    const auto in = w.size(1);
    out = out < 0 ? w.size(0) : out;
    Vector y(static_cast<std::size_t>(out));
    for (std::int64_t o = 0; o < out; ++o) {
        double sum = at(b, first + o);
        for (std::int64_t i = 0; i < in; ++i)
            sum += at(w, (first + o) * in + i) * x[static_cast<std::size_t>(i)];
        y[static_cast<std::size_t>(o)] = sum;
    }
    return y;
}

// (x - mean) / sqrt(biased variance + 1e-5) * gain + bias.
Vector layerNorm(const Vector &x, const torch::Tensor &gain, const torch::Tensor &bias)
{
    double mean = 0.0, variance = 0.0;
    for (double v : x)
        mean += v / double(x.size());
    for (double v : x)
        variance += (v - mean) * (v - mean) / double(x.size());
    Vector y(x.size());
    for (std::size_t i = 0; i < x.size(); ++i)
        y[i] = (x[i] - mean) / std::sqrt(variance + 1e-5) * at(gain, std::int64_t(i)) + at(bias, std::int64_t(i));
    return y;
}

double gelu(double x)
{
    return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
}

Vector add(Vector a, const Vector &b)
{
    for (std::size_t i = 0; i < a.size(); ++i)
        a[i] += b[i];
    return a;
}

// The plugin's logits for one row: its real tokens only (the first always),
// so padding is left out rather than masked.
Vector referenceLogits(Parameters &p, const std::vector<std::int64_t> &ids, std::int64_t width, std::int64_t heads,
                       std::int64_t layers)
{
    const std::size_t n = ids.size();
    std::vector<Vector> x(n);
    for (std::size_t t = 0; t < n; ++t) {
        Vector e(static_cast<std::size_t>(width));
        for (std::int64_t j = 0; j < width; ++j)
            e[std::size_t(j)] = at(p["token_embedding.weight"], ids[t] * width + j)
                                + at(p["position_embedding.weight"], std::int64_t(t) * width + j);
        x[t] = layerNorm(e, p["embedding_norm.weight"], p["embedding_norm.bias"]);
    }
    const std::int64_t headDim = width / heads;
    for (std::int64_t l = 0; l < layers; ++l) {
        const std::string prefix = "layers." + std::to_string(l) + ".";
        std::vector<Vector> q(n), k(n), v(n), mixed(n, Vector(std::size_t(width), 0.0));
        for (std::size_t t = 0; t < n; ++t) {
            q[t] = affine(p[prefix + "self_attn.in_proj_weight"], p[prefix + "self_attn.in_proj_bias"], x[t], 0, width);
            k[t] = affine(p[prefix + "self_attn.in_proj_weight"], p[prefix + "self_attn.in_proj_bias"], x[t], width,
                          width);
            v[t] = affine(p[prefix + "self_attn.in_proj_weight"], p[prefix + "self_attn.in_proj_bias"], x[t], 2 * width,
                          width);
        }
        for (std::int64_t h = 0; h < heads; ++h) {
            for (std::size_t t = 0; t < n; ++t) {
                Vector scores(n);
                double largest = -1e300, total = 0.0;
                for (std::size_t u = 0; u < n; ++u) {
                    double dot = 0.0;
                    for (std::int64_t j = h * headDim; j < (h + 1) * headDim; ++j)
                        dot += q[t][std::size_t(j)] * k[u][std::size_t(j)];
                    scores[u] = dot / std::sqrt(double(headDim));
                    largest = std::max(largest, scores[u]);
                }
                for (auto &s : scores)
                    total += (s = std::exp(s - largest));
                for (std::size_t u = 0; u < n; ++u)
                    for (std::int64_t j = h * headDim; j < (h + 1) * headDim; ++j)
                        mixed[t][std::size_t(j)] += scores[u] / total * v[u][std::size_t(j)];
            }
        }
        for (std::size_t t = 0; t < n; ++t) {
            const auto attended
                = affine(p[prefix + "self_attn.out_proj.weight"], p[prefix + "self_attn.out_proj.bias"], mixed[t]);
            const auto y = layerNorm(add(x[t], attended), p[prefix + "norm1.weight"], p[prefix + "norm1.bias"]);
            auto hidden = affine(p[prefix + "linear1.weight"], p[prefix + "linear1.bias"], y);
            for (auto &value : hidden)
                value = gelu(value);
            x[t] = layerNorm(add(y, affine(p[prefix + "linear2.weight"], p[prefix + "linear2.bias"], hidden)),
                             p[prefix + "norm2.weight"], p[prefix + "norm2.bias"]);
        }
    }
    return affine(p["classifier.weight"], p["classifier.bias"], layerNorm(x[0], p["norm.weight"], p["norm.bias"]));
}

struct Batch
{
    torch::Tensor ids, mask, probe;
};

std::vector<std::vector<std::int64_t>> realTokens(const Batch &batch)
{
    std::vector<std::vector<std::int64_t>> rows;
    for (std::int64_t b = 0; b < batch.ids.size(0); ++b) {
        rows.emplace_back();
        for (std::int64_t t = 0; t < batch.ids.size(1); ++t)
            if (t == 0 || batch.mask[b][t].item<bool>())
                rows.back().push_back(batch.ids[b][t].item<std::int64_t>());
    }
    return rows;
}

double referenceProbe(Parameters &p, const Batch &batch, const lwb::PluginOptions &o, std::int64_t width)
{
    double sum = 0.0;
    const auto rows = realTokens(batch);
    for (std::size_t b = 0; b < rows.size(); ++b) {
        const auto logits = referenceLogits(p, rows[b], width, o.heads, o.encoderLayers);
        for (std::size_t c = 0; c < logits.size(); ++c)
            sum += logits[c] * batch.probe[std::int64_t(b)][std::int64_t(c)].item<double>();
    }
    return sum;
}

Parameters parametersOf(lwb::DlpPluginImpl &plugin)
{
    Parameters p;
    for (const auto &item : plugin.named_parameters())
        p[item.key()] = item.value().detach().clone().contiguous();
    return p;
}

torch::Tensor tensorOf(const nlohmann::json &value)
{
    if (value.is_boolean())
        return torch::tensor(value.get<bool>() ? 1.0 : 0.0, torch::kFloat64);
    if (!value.is_array())
        return torch::tensor(value.get<double>(), torch::kFloat64);
    std::vector<torch::Tensor> rows;
    for (const auto &row : value)
        rows.push_back(tensorOf(row));
    return torch::stack(rows);
}

double maxError(const torch::Tensor &a, const torch::Tensor &b)
{
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

lwb::PluginOptions smallEncoder()
{
    lwb::PluginOptions o;
    o.kind = "encoder";
    o.vocabSize = 20;
    o.tasks = 3;
    o.width = 8;
    o.heads = 2;
    o.encoderLayers = 2;
    o.maxPositions = 10;
    o.dropout = 0.0;
    return o;
}

} // namespace

class TestDlpPluginEncoder : public QObject
{
    Q_OBJECT

private slots:
    void forwardAndGradientsMatchTheLoopReference()
    {
        torch::manual_seed(7);
        auto plugin = lwb::makeDlpPlugin(smallEncoder());
        plugin->to(torch::kFloat64);
        {
            // Random gains and biases too, so the LayerNorms' parameters matter.
            torch::NoGradGuard noGrad;
            for (auto &value : plugin->parameters())
                value.copy_(torch::randn_like(value) * 0.5 + value);
        }
        Batch batch;
        batch.ids = torch::tensor({1, 5, 7, 2, 19, 19, 3, 19, 19, 19, 19, 19, 4, 8, 15, 16, 11, 2}).reshape({3, 6});
        batch.mask = batch.ids != 19;
        batch.probe = torch::randn({3, 3}, torch::kFloat64);
        plugin->eval();
        const auto logits = plugin->forward(batch.ids, batch.mask);
        (logits * batch.probe).sum().backward();

        auto p = parametersOf(*plugin);
        const auto rows = realTokens(batch);
        for (std::size_t b = 0; b < rows.size(); ++b) {
            const auto expected = referenceLogits(p, rows[b], 8, 2, 2);
            for (std::size_t c = 0; c < expected.size(); ++c)
                QVERIFY2(std::abs(logits[std::int64_t(b)][std::int64_t(c)].item<double>() - expected[c]) <= 1e-12,
                         "logit against the loop reference");
        }
        // Gradients: central differences of the reference, every entry of every parameter.
        double worst = 0.0;
        for (const auto &item : plugin->named_parameters()) {
            auto &value = p[item.key()];
            const auto grad = item.value().grad().contiguous();
            for (std::int64_t i = 0; i < value.numel(); ++i) {
                const double kept = value.data_ptr<double>()[i], step = 1e-6;
                value.data_ptr<double>()[i] = kept + step;
                const double up = referenceProbe(p, batch, smallEncoder(), 8);
                value.data_ptr<double>()[i] = kept - step;
                const double down = referenceProbe(p, batch, smallEncoder(), 8);
                value.data_ptr<double>()[i] = kept;
                worst = std::max(worst, std::abs((up - down) / (2 * step) - grad.data_ptr<double>()[i]));
            }
        }
        std::printf("encoder plugin: largest gradient difference against finite differences %.3g\n", worst);
        QVERIFY(worst <= 1e-7);
        // Token embeddings of tokens never read get no gradient (padding included).
        QCOMPARE(plugin->named_parameters()["token_embedding.weight"].grad()[19].abs().sum().item<double>(), 0.0);
    }

    void matchesPyTorchTransformerEncoder()
    {
        const auto path
            = qgetenv("LWB_SOURCE_DIR").toStdString() + "/tests/fixtures/dlp_plugin_encoder/encoder_reference.json";
        std::ifstream file(path);
        QVERIFY2(file.good(), (path + ": cannot open (CTest sets LWB_SOURCE_DIR)").c_str());
        const auto reference = nlohmann::json::parse(file);
        auto options = smallEncoder();
        options.vocabSize = reference.at("vocab_size");
        options.tasks = reference.at("tasks");
        options.width = reference.at("width");
        options.heads = reference.at("heads");
        options.encoderLayers = reference.at("encoder_layers");
        options.maxPositions = reference.at("max_positions");
        auto plugin = lwb::makeDlpPlugin(options);
        plugin->to(torch::kFloat64);
        {
            torch::NoGradGuard noGrad;
            for (auto &item : plugin->named_parameters()) {
                const auto value = tensorOf(reference.at("parameters").at(item.key()));
                QCOMPARE(value.sizes(), item.value().sizes());
                item.value().copy_(value);
            }
        }
        QCOMPARE(reference.at("parameters").size(), plugin->named_parameters().size());
        const auto ids = tensorOf(reference.at("ids")).to(torch::kInt64);
        const auto mask = tensorOf(reference.at("mask")).to(torch::kBool);
        plugin->eval();
        const auto logits = plugin->forward(ids, mask);
        QVERIFY(maxError(logits, tensorOf(reference.at("logits"))) <= 1e-12);
        (logits * tensorOf(reference.at("probe"))).sum().backward();
        for (const auto &item : plugin->named_parameters())
            QVERIFY2(maxError(item.value().grad(), tensorOf(reference.at("gradients").at(item.key()))) <= 1e-11,
                     item.key().c_str());
    }

    void sizedAroundTargetLikeTheMlp()
    {
        lwb::PluginOptions options;
        options.kind = "encoder";
        options.tasks = 6;
        auto encoder = lwb::makeDlpPlugin(options);
        std::printf("default encoder plugin: width %lld, %lld layers, %lld trainable parameters (target %lld)\n",
                    static_cast<long long>(encoder->width()), static_cast<long long>(options.encoderLayers),
                    static_cast<long long>(encoder->parameterCount()), static_cast<long long>(options.targetParams));
        QCOMPARE(encoder->parameterCount(), lwb::encoderParameterCount(options, encoder->width()));
        QCOMPARE(encoder->width() % options.heads, std::int64_t(0));
        QVERIFY(std::abs(encoder->parameterCount() - options.targetParams) <= options.targetParams / 100);
        QCOMPARE(encoder->manifest().at("kind").get<std::string>(), std::string("encoder"));
        // The same options as "mlp": the paper's plugin, sized alike.
        options.kind = "mlp";
        auto mlp = lwb::makeDlpPlugin(options);
        QCOMPARE(mlp->manifest().at("kind").get<std::string>(), std::string("mlp"));
        QVERIFY(std::abs(mlp->parameterCount() - options.targetParams) <= options.targetParams / 100);
        // Inputs longer than max_positions keep their first tokens.
        options = smallEncoder();
        auto small = lwb::makeDlpPlugin(options);
        small->eval();
        const auto ids = torch::randint(0, 19, {2, 14}, torch::kInt64);
        const auto mask = torch::ones({2, 14}, torch::kBool);
        QVERIFY(maxError(small->forward(ids, mask), small->forward(ids.narrow(1, 0, 10), mask.narrow(1, 0, 10)))
                == 0.0);
    }

    void learnsTheBuiltinTasks()
    {
        const auto tasks = lwb::builtinTaskNames();
        lwb::PluginOptions options;
        options.kind = "encoder";
        options.tasks = static_cast<std::int64_t>(tasks.size());
        options.width = 64;
        options.heads = 4;
        options.encoderLayers = 2;
        options.maxPositions = 64;
        torch::manual_seed(42);
        auto plugin = lwb::makeDlpPlugin(options);
        const lwb::TaskGenerator stream(tasks, 42);
        std::vector<lwb::TaskExample> train;
        for (std::uint64_t i = 0; i < 2048; ++i)
            train.push_back(stream.example(i));
        const auto format = lwb::SequenceFormat::byteLevel();
        const lwb::TaskData data(format, tasks, 42, 48, 600);
        lwb::PluginTrainingOptions training;
        training.epochs = 6;
        training.lr = 1e-3;
        const auto report = lwb::trainPlugin(*plugin, lwb::pluginExamples(train, tasks, format),
                                             lwb::pluginExamples(data.evalExamples(), tasks, format), training);
        const double chance = 1.0 / double(tasks.size());
        std::printf("encoder plugin: %lld parameters, %lld held-out prompts of %zu built-in tasks (chance %.1f %%), "
                    "accuracy %.2f %%, loss %.3f -> %.3f\n",
                    static_cast<long long>(report.parameters), static_cast<long long>(report.heldOut.examples),
                    tasks.size(), 100.0 * chance, 100.0 * report.heldOut.accuracy, report.epochLoss.front(),
                    report.epochLoss.back());
        QVERIFY(report.heldOut.accuracy >= 0.9);
        QVERIFY(report.epochLoss.back() < report.epochLoss.front());
    }

    void kindsAndConfigErrors()
    {
        QCOMPARE(lwb::pluginKinds(), (std::vector<std::string>{"mlp", "encoder"}));
        auto options = smallEncoder();
        options.kind = "albert";
        const auto unknown = lwb::test::errorOf([&] { lwb::makeDlpPlugin(options); });
        QVERIFY2(lwb::test::contains(unknown, "adapter.dlp.plugin.kind") && lwb::test::contains(unknown, "albert"),
                 unknown.c_str());
        options = smallEncoder();
        options.width = 9; // not a multiple of 2 heads
        QVERIFY(
            lwb::test::contains(lwb::test::errorOf([&] { lwb::makeDlpPlugin(options); }), "adapter.dlp.plugin.width"));

        const auto errorFor = [](const nlohmann::json &plugin) {
            const nlohmann::json document = {{"adapter", {{"variant", "dlp"}, {"dlp", {{"plugin", plugin}}}}}};
            return lwb::test::errorOf([&] { lwb::parseRunConfig(document, "/studies/dlp_encoder.json"); });
        };
        const auto kind = errorFor({{"kind", "transformer"}});
        QVERIFY2(lwb::test::contains(kind, "/studies/dlp_encoder.json")
                     && lwb::test::contains(kind, "adapter.dlp.plugin.kind"),
                 kind.c_str());
        QVERIFY(lwb::test::contains(errorFor({{"kind", "encoder"}, {"embedding", "base"}}),
                                    "adapter.dlp.plugin.embedding"));
        QVERIFY(lwb::test::contains(errorFor({{"kind", "encoder"}, {"width", 30}, {"heads", 4}}),
                                    "adapter.dlp.plugin.width"));
        QVERIFY(lwb::test::contains(errorFor({{"heads", 0}}), "adapter.dlp.plugin.heads"));
        // Old configs (no kind) read as the MLP; the encoder's keys round-trip.
        const nlohmann::json document = {
            {"adapter",
             {{"variant", "dlp"}, {"dlp", {{"plugin", {{"kind", "encoder"}, {"encoder_layers", 3}, {"heads", 8}}}}}}}};
        const auto config = lwb::parseRunConfig(document, "test");
        QCOMPARE(config.adapter.dlp.plugin.kind, std::string("encoder"));
        QCOMPARE(lwb::parseRunConfig(config.toJson(), "again").toJson().dump(), config.toJson().dump());
        QCOMPARE(lwb::DlpPluginConfig().kind, std::string("mlp"));
        const auto built = lwb::pluginOptions(config.adapter.dlp.plugin, 259, 4);
        QCOMPARE(built.encoderLayers, std::int64_t(3));
        QCOMPARE(built.heads, std::int64_t(8));
    }
};

QTEST_APPLESS_MAIN(TestDlpPluginEncoder)
#include "test_dlp_plugin_encoder.moc"
