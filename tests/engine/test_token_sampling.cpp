// TokenSampler (engine/model/token_sampling.h) against transformers' own
// logits processors: tests/fixtures/sampling/token_sampling_reference.json
// holds, for fixed random logits and each row's earlier tokens, what
// RepetitionPenaltyLogitsProcessor makes of them and the distribution that
// Temperature/TopK/TopP warpers + softmax leave to sample from (transformers
// 5.25.0; make_sampling_reference.py beside it rebuilds it). Checked:
// - penalized() equals transformers' penalised logits (float32);
// - probabilities() equals its distribution (float64) for six rules mixing
//   penalty above and below 1, temperature, top-k and top-p;
// - greedy picks the argmax of transformers' penalised logits, and its
//   distribution is one-hot there;
// - draws land only on tokens the distribution keeps;
// - drawnProbabilities() (the playground's "under the rule") is
//   transformers' probability of the drawn token, 1 for greedy, and
//   differs from the model's own softmax of the raw logits;
// - tokens appended after the prompt are penalised too;
// - a penalty <= 0 or a negative top-k is refused.
#include "engine/core/error.h"
#include "engine/model/token_sampling.h"

#include <QtTest>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>
#include <fstream>

namespace {

struct ReferenceCase
{
    lwb::SamplingRule rule;
    torch::Tensor seen;          // [R, T] int64
    torch::Tensor logits;        // [R, V] float32
    torch::Tensor penalized;     // [R, V] float32, transformers'
    torch::Tensor probabilities; // [R, V] float64, transformers'
};

torch::Tensor tensorOf(const nlohmann::json &rows, torch::ScalarType type)
{
    std::vector<torch::Tensor> out;
    for (const auto &row : rows)
        out.push_back(torch::tensor(row.get<std::vector<double>>(), torch::kDouble));
    return torch::stack(out).to(type);
}

std::vector<ReferenceCase> referenceCases()
{
    const auto path
        = qgetenv("LWB_SOURCE_DIR").toStdString() + "/tests/fixtures/sampling/token_sampling_reference.json";
    std::ifstream file(path);
    if (!file)
        throw std::runtime_error(path + ": cannot open (LWB_SOURCE_DIR must point at the repository; CTest sets it)");
    const auto document = nlohmann::json::parse(file);
    std::vector<ReferenceCase> cases;
    for (const auto &c : document.at("cases")) {
        ReferenceCase reference;
        reference.rule.temperature = c.at("temperature").get<double>();
        reference.rule.topK = c.at("top_k").get<std::int64_t>();
        reference.rule.topP = c.at("top_p").get<double>();
        reference.rule.repetitionPenalty = c.at("repetition_penalty").get<double>();
        reference.seen = tensorOf(c.at("seen"), torch::kLong);
        reference.logits = tensorOf(c.at("logits"), torch::kFloat);
        reference.penalized = tensorOf(c.at("penalized"), torch::kFloat);
        reference.probabilities = tensorOf(c.at("probabilities"), torch::kDouble);
        cases.push_back(reference);
    }
    return cases;
}

double maxDifference(const torch::Tensor &a, const torch::Tensor &b)
{
    return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

} // namespace

class TokenSamplingTest : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        cases_ = referenceCases();
        QCOMPARE(cases_.size(), std::size_t(6));
    }

    void penalizedAsTransformers()
    {
        for (const auto &c : cases_) {
            const lwb::TokenSampler sampler(c.rule, c.seen, c.logits.size(1));
            const double worst = maxDifference(sampler.penalized(c.logits), c.penalized);
            QVERIFY2(worst <= 1e-6,
                     qPrintable(QString("penalty %1: max |d| %2").arg(c.rule.repetitionPenalty).arg(worst)));
        }
    }

    void probabilitiesAsTransformers()
    {
        for (const auto &c : cases_) {
            const lwb::TokenSampler sampler(c.rule, c.seen, c.logits.size(1));
            const auto got = sampler.probabilities(c.logits);
            QCOMPARE(got.scalar_type(), torch::kDouble);
            const double worst = maxDifference(got, c.probabilities);
            QVERIFY2(worst <= 1e-12, qPrintable(QString("T %1 top-k %2 top-p %3 penalty %4: max |d| %5")
                                                    .arg(c.rule.temperature)
                                                    .arg(c.rule.topK)
                                                    .arg(c.rule.topP)
                                                    .arg(c.rule.repetitionPenalty)
                                                    .arg(worst)));
            // The cut tokens are exactly transformers' (-inf there, 0 after softmax).
            QVERIFY(torch::equal(got.eq(0), c.probabilities.eq(0)));
        }
    }

    void greedyPicksTheArgmaxOfThePenalizedLogits()
    {
        for (const auto &c : cases_) {
            auto rule = c.rule;
            rule.temperature = 0.0;
            const lwb::TokenSampler sampler(rule, c.seen, c.logits.size(1));
            const auto chosen = sampler.choose(c.logits);
            const auto expected = c.penalized.argmax(-1);
            for (std::int64_t r = 0; r < c.logits.size(0); ++r)
                QCOMPARE(chosen[static_cast<std::size_t>(r)], expected[r].item<std::int64_t>());
        }
    }

    void greedyDistributionIsOneHotAtTheArgmax()
    {
        for (const auto &c : cases_) {
            auto rule = c.rule;
            rule.temperature = 0.0;
            const lwb::TokenSampler sampler(rule, c.seen, c.logits.size(1));
            const auto expected
                = torch::one_hot(c.penalized.argmax(-1), c.logits.size(1)).to(torch::kDouble); // transformers' argmax
            QVERIFY(torch::equal(sampler.probabilities(c.logits), expected));
            const auto chosen = sampler.choose(c.logits);
            for (const double drawn : sampler.drawnProbabilities(c.logits, chosen))
                QCOMPARE(drawn, 1.0);
        }
    }

    void drawnProbabilitiesAreTransformersAtTheDrawnTokens()
    {
        torch::manual_seed(11);
        for (const auto &c : cases_) {
            const lwb::TokenSampler sampler(c.rule, c.seen, c.logits.size(1));
            const auto modelProbabilities = torch::softmax(c.logits.to(torch::kDouble), -1);
            bool differsFromTheModel = false;
            for (int draw = 0; draw < 10; ++draw) {
                const auto chosen = sampler.choose(c.logits);
                const auto drawn = sampler.drawnProbabilities(c.logits, chosen);
                QCOMPARE(drawn.size(), chosen.size());
                for (std::int64_t r = 0; r < c.logits.size(0); ++r) {
                    const auto token = chosen[static_cast<std::size_t>(r)];
                    const double expected = c.probabilities[r][token].item<double>();
                    QVERIFY2(std::abs(drawn[static_cast<std::size_t>(r)] - expected) <= 1e-12,
                             qPrintable(QString("row %1 token %2: %3 vs transformers %4")
                                            .arg(r)
                                            .arg(token)
                                            .arg(drawn[static_cast<std::size_t>(r)])
                                            .arg(expected)));
                    differsFromTheModel = differsFromTheModel
                                          || std::abs(expected - modelProbabilities[r][token].item<double>()) > 1e-6;
                }
            }
            QVERIFY(differsFromTheModel); // every case's rule reshapes the model's distribution
        }
        const lwb::TokenSampler sampler(cases_.front().rule, cases_.front().seen, cases_.front().logits.size(1));
        QVERIFY_THROWS_EXCEPTION(lwb::Error, sampler.drawnProbabilities(cases_.front().logits, {1}));
    }

    void drawsOnlyKeptTokens()
    {
        torch::manual_seed(5);
        for (const auto &c : cases_) {
            const lwb::TokenSampler sampler(c.rule, c.seen, c.logits.size(1));
            for (int draw = 0; draw < 50; ++draw) {
                const auto chosen = sampler.choose(c.logits);
                for (std::int64_t r = 0; r < c.logits.size(0); ++r)
                    QVERIFY(c.probabilities[r][chosen[static_cast<std::size_t>(r)]].item<double>() > 0.0);
            }
        }
    }

    void appendedTokensArePenalized()
    {
        // transformers penalises every token of input_ids, which grows by each generated token.
        lwb::SamplingRule rule;
        rule.repetitionPenalty = 2.0;
        const auto prompt = torch::tensor({{1, 2}}, torch::kLong);
        const auto logits = torch::tensor({{1.0f, 4.0f, -2.0f, 3.0f, -1.0f}});
        lwb::TokenSampler sampler(rule, prompt, 5);
        QVERIFY(torch::equal(sampler.penalized(logits), torch::tensor({{1.0f, 2.0f, -4.0f, 3.0f, -1.0f}})));
        sampler.append(torch::tensor({3}, torch::kLong)); // one token per row, as generate() appends them
        sampler.append(torch::tensor({4}, torch::kLong));
        QVERIFY(torch::equal(sampler.penalized(logits), torch::tensor({{1.0f, 2.0f, -4.0f, 1.5f, -2.0f}})));
    }

    void badRulesAreRefused()
    {
        const auto prompt = torch::tensor({{1}}, torch::kLong);
        lwb::SamplingRule zeroPenalty;
        zeroPenalty.repetitionPenalty = 0.0;
        QVERIFY_THROWS_EXCEPTION(lwb::Error, lwb::TokenSampler(zeroPenalty, prompt, 4));
        lwb::SamplingRule negativeTopK;
        negativeTopK.topK = -1;
        QVERIFY_THROWS_EXCEPTION(lwb::Error, lwb::TokenSampler(negativeTopK, prompt, 4));
    }

private:
    std::vector<ReferenceCase> cases_;
};

QTEST_APPLESS_MAIN(TokenSamplingTest)
#include "test_token_sampling.moc"
