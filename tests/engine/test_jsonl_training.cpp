// Training on JSONL data: the config's jsonl keys and their errors, the
// fixed-list training stream (each example once per epoch, a function of
// (seed, index)), a short run on a lexicon-format fixture whose loss falls
// and whose evaluation reports its tasks, and bad lines refused or skipped.
#include "engine/config/run_config.h"
#include "engine/core/error.h"
#include "engine/data/data_source.h"
#include "engine/tokenizer/byte_tokenizer.h"
#include "engine/train/trainer.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <set>

namespace {

std::string fixture(const char *name)
{
    const char *root = std::getenv("LWB_SOURCE_DIR");
    return std::string(root ? root : ".") + "/tests/fixtures/jsonl/" + name;
}

nlohmann::json smallRun(const QString &outputDir, nlohmann::json data)
{
    return {
        {"name", "jsonl-test"},
        {"seed", 3},
        {"model",
         {{"preset", "gpt2-tiny"},
          {"hidden_size", 64},
          {"num_hidden_layers", 2},
          {"num_attention_heads", 4},
          {"intermediate_size", 128}}},
        {"data", data},
        {"adapter", {{"r", 8}, {"alpha", 16}, {"dropout", 0.0}}},
        {"training",
         {{"steps", 40},
          {"batch_size", 8},
          {"lr", 1e-2},
          {"warmup_steps", 4},
          {"output_dir", outputDir.toStdString()}}},
        {"eval", {{"every", 0}, {"batch_size", 8}}},
    };
}

std::vector<lwb::ConfigIssue> issuesOf(const nlohmann::json &data)
{
    try {
        lwb::parseRunConfig({{"data", data}}, "test.json");
    } catch (const lwb::ConfigError &error) {
        return error.issues();
    }
    return {};
}

bool hasIssue(const std::vector<lwb::ConfigIssue> &issues, const std::string &path, const std::string &fragment)
{
    for (const auto &issue : issues)
        if (issue.path == path && issue.reason.find(fragment) != std::string::npos)
            return true;
    return false;
}

class Collect : public lwb::TrainObserver
{
public:
    void onRunStarted(const lwb::RunInfo &info) override { started = info; }
    void onEval(const lwb::EvalMetrics &m) override { evals.push_back(m); }
    lwb::RunInfo started;
    std::vector<lwb::EvalMetrics> evals;
};

} // namespace

class TestJsonlTraining : public QObject
{
    Q_OBJECT

private slots:
    void validatesTheJsonlKeys()
    {
        QVERIFY(hasIssue(issuesOf({{"source", "jsonl"}}), "data.train_file", "required when data.source is \"jsonl\""));
        QVERIFY(hasIssue(issuesOf({{"source", "jsonl"}, {"train_file", "/no/such.jsonl"}}), "data.train_file",
                         "is not a file"));
        QVERIFY(hasIssue(
            issuesOf({{"source", "jsonl"}, {"train_file", fixture("lexicon_train.jsonl")}, {"eval_ratio", 0.0}}),
            "data.eval_ratio", "must be above 0 when there is no data.eval_file"));
        QVERIFY(hasIssue(
            issuesOf({{"source", "jsonl"}, {"train_file", fixture("lexicon_train.jsonl")}, {"eval_ratio", 0.95}}),
            "data.eval_ratio", ""));
        QVERIFY(hasIssue(issuesOf({{"train_file", fixture("lexicon_train.jsonl")}}), "data.train_file",
                         "only used when data.source is \"jsonl\""));
        QVERIFY(hasIssue(issuesOf({{"source", "csv"}}), "data.source", ""));

        // Valid: tasks default to "all" and the jsonl keys round-trip through toJson().
        const auto config = lwb::parseRunConfig(
            {{"data", {{"source", "jsonl"}, {"train_file", fixture("lexicon_train.jsonl")}, {"skip_bad_lines", true}}}},
            "ok");
        QVERIFY(config.data.tasks.empty());
        QCOMPARE(config.data.evalRatio, 0.1);
        const auto again = lwb::parseRunConfig(config.toJson(), "again");
        QCOMPARE(again.toJson(), config.toJson());
        QVERIFY(again.data.skipBadLines);
    }

    void listStreamVisitsEachExampleOncePerEpoch()
    {
        lwb::DataConfig data;
        data.source = "jsonl";
        data.tasks.clear();
        data.trainFile = fixture("lexicon_train.jsonl"); // 18 lines
        data.evalFile = fixture("lexicon_eval.jsonl");
        const auto taskData = lwb::makeTaskData(data, 11, lwb::SequenceFormat::byteLevel());
        QCOMPARE(taskData->evalExamples().size(), std::size_t{4});
        // 18 examples in batches of 6: micro-batches 0-2 are epoch 0, 3-5 epoch 1.
        for (int epoch = 0; epoch < 2; ++epoch) {
            std::multiset<std::int64_t> firstTokens;
            std::set<std::string> tasks;
            for (int micro = 3 * epoch; micro < 3 * epoch + 3; ++micro) {
                const auto batch = taskData->trainBatch(micro, 6);
                for (const auto &task : batch.tasks)
                    tasks.insert(task);
                QCOMPARE(batch.inputIds.size(0), std::int64_t{6});
                QVERIFY(batch.scoredTokens > 0);
            }
            QCOMPARE(tasks, (std::set<std::string>{"antonym", "translate-fr", "pos"}));
        }
        // A function of (seed, index): a second instance (fresh cache) and out-of-order calls agree.
        const auto again = lwb::makeTaskData(data, 11, lwb::SequenceFormat::byteLevel());
        const auto late = again->trainBatch(5, 6);
        QVERIFY(torch::equal(again->trainBatch(0, 6).inputIds, taskData->trainBatch(0, 6).inputIds));
        QVERIFY(torch::equal(late.inputIds, taskData->trainBatch(5, 6).inputIds));
        const auto other = lwb::makeTaskData(data, 12, lwb::SequenceFormat::byteLevel());
        QVERIFY(!torch::equal(other->trainBatch(0, 6).inputIds, taskData->trainBatch(0, 6).inputIds));

        // The task filter, and a listed task the file lacks.
        data.tasks = {"pos"};
        const auto posOnly = lwb::makeTaskData(data, 11, lwb::SequenceFormat::byteLevel());
        for (const auto &task : posOnly->trainBatch(0, 12).tasks)
            QCOMPARE(task, std::string("pos"));
        data.tasks = {"pos", "translate-de"};
        QVERIFY_THROWS_EXCEPTION(lwb::Error, lwb::makeTaskData(data, 11, lwb::SequenceFormat::byteLevel()));
    }

    void packedRowsTileTheExampleStream()
    {
        lwb::DataConfig data;
        data.source = "jsonl";
        data.tasks.clear();
        data.trainFile = fixture("lexicon_train.jsonl");
        data.evalFile = fixture("lexicon_eval.jsonl");
        data.seqLen = 16;
        data.pack = true;
        const auto packed = lwb::makeTaskData(data, 11, lwb::SequenceFormat::byteLevel());
        data.pack = false;
        const auto plain = lwb::makeTaskData(data, 11, lwb::SequenceFormat::byteLevel());

        // The reference: the examples in stream order, BOS prompt answer EOS,
        // with a flag on the tokens that are labels (answer and EOS).
        std::vector<std::int64_t> stream;
        std::vector<bool> scored;
        const lwb::ByteTokenizer tokenizer;
        for (std::uint64_t i = 0; stream.size() < 5 * 3 * 16 + 1; ++i) {
            const auto example = plain->trainExample(i);
            stream.push_back(lwb::ByteTokenizer::kBos);
            for (const auto id : tokenizer.encode(example.prompt))
                stream.push_back(id);
            scored.resize(stream.size(), false);
            for (const auto id : tokenizer.encode(example.answer))
                stream.push_back(id);
            stream.push_back(lwb::ByteTokenizer::kEos);
            scored.resize(stream.size(), true);
        }
        // Micro-batches of 3 rows of 16: row j is stream[16 j, 16 j + 17),
        // asked out of order (a resumed run starts anywhere).
        for (const std::int64_t micro : {4, 0, 2, 1, 3}) {
            const auto batch = packed->trainBatch(micro, 3);
            QCOMPARE(batch.inputIds.sizes(), (torch::IntArrayRef{3, 16}));
            QVERIFY(batch.tokenMask.all().item<bool>());
            std::int64_t labelled = 0;
            for (std::int64_t row = 0; row < 3; ++row) {
                const auto start = static_cast<std::size_t>((micro * 3 + row) * 16);
                for (std::int64_t t = 0; t < 16; ++t) {
                    const auto at = start + static_cast<std::size_t>(t);
                    QCOMPARE(batch.inputIds[row][t].item<std::int64_t>(), stream[at]);
                    const auto expected = scored[at + 1] ? stream[at + 1] : lwb::kIgnoreLabel;
                    QCOMPARE(batch.labels[row][t].item<std::int64_t>(), expected);
                    labelled += scored[at + 1] ? 1 : 0;
                }
            }
            QCOMPARE(batch.scoredTokens, labelled);
            QCOMPARE(batch.inputTokens, std::int64_t{48});
        }
        // Evaluation is never packed.
        QCOMPARE(packed->evalBatches(8).front().inputIds.sizes(), plain->evalBatches(8).front().inputIds.sizes());
    }

    void readsEveryShapeWithARatioSplit()
    {
        lwb::DataConfig data;
        data.source = "jsonl";
        data.tasks.clear();
        data.trainFile = fixture("mixed_shapes.jsonl");
        data.evalRatio = 0.5;
        const auto taskData = lwb::makeTaskData(data, 1, lwb::SequenceFormat::byteLevel());
        const std::set<std::string> known{"qa", "grammar", "default"};
        for (const auto &task : taskData->trainBatch(0, 64).tasks)
            QVERIFY2(known.count(task) == 1, task.c_str());
        // Both sides non-empty; the text line is scored from its first token.
        QVERIFY(!taskData->evalExamples().empty());
        QVERIFY(taskData->evalExamples().size() < 8);
    }

    void lossFallsOnALexiconFixture()
    {
        QTemporaryDir out;
        const auto config = lwb::parseRunConfig(smallRun(out.path(), {{"source", "jsonl"},
                                                                      {"train_file", fixture("lexicon_train.jsonl")},
                                                                      {"eval_file", fixture("lexicon_eval.jsonl")},
                                                                      {"seq_len", 40}}),
                                                "test");
        lwb::Trainer trainer(config);
        Collect collect;
        trainer.addObserver(&collect);
        QVERIFY(trainer.run() == lwb::RunOutcome::Finished);
        const auto &losses = trainer.losses();
        QCOMPARE(losses.size(), std::size_t{40});
        const double first = (losses[0] + losses[1] + losses[2]) / 3.0;
        const double last = (losses[37] + losses[38] + losses[39]) / 3.0;
        QVERIFY2(last < 0.7 * first, (std::to_string(first) + " -> " + std::to_string(last)).c_str());
        QCOMPARE(collect.started.skippedDataLines, std::int64_t{0});
        const auto &exact = collect.evals.back().exactMatchByTask;
        QCOMPARE(exact.size(), std::size_t{3});
        QVERIFY(exact.count("translate-fr") == 1 && exact.count("antonym") == 1 && exact.count("pos") == 1);

        // The same config trains bitwise the same.
        QTemporaryDir out2;
        auto repeat = config;
        repeat.training.outputDir = out2.path().toStdString();
        lwb::Trainer second(repeat);
        second.run();
        QCOMPARE(second.losses(), losses);
    }

    void refusesBadLinesUnlessSkipping()
    {
        QTemporaryDir dir;
        const auto path = dir.filePath("bad.jsonl").toStdString();
        {
            std::ifstream good(fixture("lexicon_train.jsonl"));
            std::ofstream bad(path);
            bad << good.rdbuf() << "{\"prompt\": \"pos: run\\n\"}\n";
        }
        auto doc = smallRun(dir.path(),
                            {{"source", "jsonl"}, {"train_file", path}, {"eval_file", fixture("lexicon_eval.jsonl")}});
        doc["training"]["steps"] = 2;
        doc["training"]["warmup_steps"] = 0;
        try {
            lwb::Trainer(lwb::parseRunConfig(doc, "test")).run();
            QFAIL("a run started on a bad line");
        } catch (const lwb::Error &error) {
            const std::string text = error.what();
            QVERIFY2(text.find(path + ":19: missing \"completion\"") != std::string::npos, text.c_str());
            QVERIFY2(text.find("data.skip_bad_lines") != std::string::npos, text.c_str());
        }
        doc["data"]["skip_bad_lines"] = true;
        lwb::Trainer trainer(lwb::parseRunConfig(doc, "test"));
        Collect collect;
        trainer.addObserver(&collect);
        QVERIFY(trainer.run() == lwb::RunOutcome::Finished);
        QCOMPARE(collect.started.skippedDataLines, std::int64_t{1});
    }
};

QTEST_GUILESS_MAIN(TestJsonlTraining)
#include "test_jsonl_training.moc"
