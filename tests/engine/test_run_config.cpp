// RunConfig parsing: every kind of error is reported with its JSON path,
// all of them at once, and a valid config round-trips through toJson().
#include "engine/config/config_overrides.h"
#include "engine/config/run_config.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using lwb::ConfigError;
using nlohmann::json;

namespace {

// The issues of parsing `doc`, or an empty list when it is valid.
std::vector<lwb::ConfigIssue> issuesOf(const json &doc)
{
    try {
        lwb::parseRunConfig(doc, "test.json");
    } catch (const ConfigError &error) {
        return error.issues();
    }
    return {};
}

bool hasIssue(const std::vector<lwb::ConfigIssue> &issues, const std::string &path, const std::string &fragment)
{
    for (const auto &issue : issues) {
        if (issue.path == path && issue.reason.find(fragment) != std::string::npos)
            return true;
    }
    return false;
}

std::string describe(const std::vector<lwb::ConfigIssue> &issues)
{
    std::string text;
    for (const auto &issue : issues)
        text += issue.path + ": " + issue.reason + "\n";
    return text;
}

} // namespace

class TestRunConfig : public QObject
{
    Q_OBJECT

private slots:
    void emptyDocumentGivesDefaults()
    {
        const auto config = lwb::parseRunConfig(json::object(), "test.json");
        QCOMPARE(config.adapter.variant, std::string("lora"));
        QCOMPARE(config.model.architecture, lwb::Architecture::Gpt2);
        // Empty targets mean "every linear layer of the architecture".
        QCOMPARE(config.adapter.targets, lwb::linearLayerNames(lwb::Architecture::Gpt2));
    }

    void unknownKeysAreRejected()
    {
        const auto issues = issuesOf({{"trainig", json::object()}, {"training", {{"learning_rate", 0.1}}}});
        QVERIFY2(hasIssue(issues, "trainig", "unknown key"), describe(issues).c_str());
        QVERIFY2(hasIssue(issues, "training.learning_rate", "unknown key"), describe(issues).c_str());
    }

    void wrongTypesAreRejected()
    {
        const auto issues = issuesOf({{"seed", "42"},
                                      {"training", {{"steps", 10.5}, {"lr", "fast"}}},
                                      {"adapter", {{"rslora", 1}, {"targets", {"c_attn", 3}}}},
                                      {"model", json::array()}});
        QVERIFY2(hasIssue(issues, "seed", "expected an integer"), describe(issues).c_str());
        QVERIFY2(hasIssue(issues, "training.steps", "expected an integer"), describe(issues).c_str());
        QVERIFY2(hasIssue(issues, "training.lr", "expected a number"), describe(issues).c_str());
        QVERIFY2(hasIssue(issues, "adapter.rslora", "expected true or false"), describe(issues).c_str());
        QVERIFY2(hasIssue(issues, "adapter.targets[1]", "expected a string"), describe(issues).c_str());
        QVERIFY2(hasIssue(issues, "model", "expected an object"), describe(issues).c_str());
    }

    void outOfRangeValuesAreRejected()
    {
        const auto issues = issuesOf({{"training", {{"lr", 0.0}, {"batch_size", 0}, {"min_lr_ratio", 1.5}}},
                                      {"adapter", {{"r", 0}, {"dropout", 1.0}}},
                                      {"threads", -1}});
        QVERIFY2(hasIssue(issues, "training.lr", "must be > 0"), describe(issues).c_str());
        QVERIFY2(hasIssue(issues, "training.batch_size", "between 1 and"), describe(issues).c_str());
        QVERIFY2(hasIssue(issues, "training.min_lr_ratio", "<= 1"), describe(issues).c_str());
        QVERIFY2(hasIssue(issues, "adapter.r", "between 1 and"), describe(issues).c_str());
        QVERIFY2(hasIssue(issues, "adapter.dropout", "<= 0.99"), describe(issues).c_str());
        QVERIFY2(hasIssue(issues, "threads", "between 0 and"), describe(issues).c_str());
    }

    void unknownNamesAreRejected()
    {
        const auto issues = issuesOf({{"adapter", {{"variant", "dora"}, {"targets", {"q_proj"}}}},
                                      {"data", {{"tasks", {"reverse", "translate"}}}},
                                      {"device", "gpu"}});
        QVERIFY2(hasIssue(issues, "adapter.variant", "\"dora\" is not one of"), describe(issues).c_str());
        // GPT-2 has no q_proj; the message lists what it has.
        QVERIFY2(hasIssue(issues, "adapter.targets[0]", "c_attn"), describe(issues).c_str());
        QVERIFY2(hasIssue(issues, "data.tasks[1]", "unknown task \"translate\""), describe(issues).c_str());
        QVERIFY2(hasIssue(issues, "device", "\"gpu\""), describe(issues).c_str());
        QVERIFY(hasIssue(issuesOf({{"model", {{"preset", "gpt5"}}}}), "model.preset", "\"gpt5\" is not one of"));
    }

    void crossFieldRulesAreChecked()
    {
        const auto issues = issuesOf({{"model", {{"hidden_size", 100}, {"num_attention_heads", 3}}},
                                      {"training", {{"steps", 10}, {"warmup_steps", 20}}},
                                      {"data", {{"seq_len", 4096}}}});
        QVERIFY2(hasIssue(issues, "model.hidden_size", "divisible by num_attention_heads"), describe(issues).c_str());
        QVERIFY2(hasIssue(issues, "training.warmup_steps", "must not exceed training.steps"), describe(issues).c_str());
        // The default warmup (20) shrinks to fit a short run instead of failing it.
        QCOMPARE(lwb::parseRunConfig({{"training", {{"steps", 7}}}}, "t").training.warmupSteps, std::int64_t(7));
        QVERIFY2(hasIssue(issues, "data.seq_len", "max_position_embeddings"), describe(issues).c_str());
        const auto gqa = issuesOf({{"model", {{"preset", "llama-tiny"}, {"num_key_value_heads", 3}}}});
        QVERIFY2(hasIssue(gqa, "model.num_key_value_heads", "must divide"), describe(gqa).c_str());
    }

    void everyErrorIsReportedAtOnce()
    {
        try {
            lwb::parseRunConfig({{"seed", -1}, {"bogus", 1}, {"training", {{"lr", -1}}}}, "my.json");
            QFAIL("an invalid config was accepted");
        } catch (const ConfigError &error) {
            QCOMPARE(error.issues().size(), std::size_t(3));
            const std::string text = error.what();
            QVERIFY2(text.rfind("my.json: 3 problem(s)", 0) == 0, text.c_str());
            QVERIFY(text.find("training.lr") != std::string::npos);
        }
    }

    void filesAndOverrides()
    {
        QTemporaryDir dir;
        const auto path = dir.filePath("run.json").toStdString();
        std::ofstream(path) << R"({"name": "from-file", "training": {"steps": 7}})";
        const auto config = lwb::loadRunConfig(path, {"training.lr=0.01", "adapter.targets=[\"c_attn\"]", "name=cli"});
        QCOMPARE(config.training.steps, std::int64_t(7));
        QCOMPARE(config.training.lr, 0.01);
        QCOMPARE(config.adapter.targets, std::vector<std::string>{"c_attn"});
        QCOMPARE(config.name, std::string("cli"));

        // An override is validated like the file.
        try {
            lwb::loadRunConfig(path, {"training.steps=-3"});
            QFAIL("an out-of-range override was accepted");
        } catch (const ConfigError &error) {
            QVERIFY(hasIssue(error.issues(), "training.steps", "between 1 and"));
            QVERIFY(std::string(error.what()).find(path) != std::string::npos);
        }
        QVERIFY_THROWS_EXCEPTION(lwb::Error, lwb::loadRunConfig(path, {"no-equals-sign"}));

        const auto broken = dir.filePath("broken.json").toStdString();
        std::ofstream(broken) << R"({"name": "x",)";
        try {
            lwb::loadRunConfig(broken);
            QFAIL("broken JSON was accepted");
        } catch (const lwb::Error &error) {
            QCOMPARE(error.where(), broken);
            QVERIFY(error.reason().find("not valid JSON") != std::string::npos);
        }
        try {
            lwb::loadRunConfig(dir.filePath("missing.json").toStdString());
            QFAIL("a missing file was accepted");
        } catch (const lwb::Error &error) {
            QVERIFY(error.reason().find("cannot open") != std::string::npos);
        }
    }

    // Inputs found by tests/fuzz (fuzz_run_config, fuzz_peft_config) that
    // escaped as nlohmann exceptions or undefined behaviour instead of errors.
    void fuzzFindingsAreClearErrors()
    {
        QTemporaryDir dir;
        const auto path = dir.filePath("run.json").toStdString();
        std::ofstream(path) << "{}";
        // An override value that is not UTF-8 (a plain string, so the error
        // shows it; dump() threw type_error 316 on it).
        try {
            lwb::loadRunConfig(path, {"training.lr=1\x82\x82"});
            QFAIL("a non-numeric learning rate was accepted");
        } catch (const ConfigError &error) {
            QVERIFY2(hasIssue(error.issues(), "training.lr", "expected a number, got string"),
                     describe(error.issues()).c_str());
        }
        // A number too large for a double (out_of_range 406 escaped readJsonFile).
        std::ofstream(path) << R"({"training": {"lr": 1e1010}})";
        try {
            lwb::loadRunConfig(path);
            QFAIL("1e1010 was accepted");
        } catch (const lwb::Error &error) {
            QCOMPARE(error.where(), path);
            QVERIFY2(error.reason().find("not valid JSON") != std::string::npos, error.what());
        }
        // A whole float beyond int64 (its conversion was undefined behaviour).
        const auto issues = issuesOf({{"training", {{"steps", 1e300}}}, {"seed", -1e19}});
        QVERIFY2(hasIssue(issues, "training.steps", "must be between 1 and"), describe(issues).c_str());
        QVERIFY2(hasIssue(issues, "seed", "must be between"), describe(issues).c_str());
    }

    void completeConfigRoundTrips()
    {
        auto config
            = lwb::parseRunConfig({{"model", {{"preset", "llama-tiny"}}}, {"adapter", {{"rslora", true}}}}, "a");
        const auto again = lwb::parseRunConfig(config.toJson(), "b");
        QCOMPARE(again.toJson(), config.toJson());
        QCOMPARE(again.model.numKvHeads, std::int64_t(2));
        QVERIFY(again.adapter.rslora);
    }

    void overlapGradSyncIsABool()
    {
        QVERIFY(lwb::parseRunConfig(json::object(), "a").training.overlapGradSync);
        const auto off = lwb::parseRunConfig({{"training", {{"overlap_grad_sync", false}}}}, "a");
        QVERIFY(!off.training.overlapGradSync);
        QVERIFY(!lwb::parseRunConfig(off.toJson(), "b").training.overlapGradSync);
        const auto issues = issuesOf({{"training", {{"overlap_grad_sync", "yes"}}}});
        QVERIFY2(hasIssue(issues, "training.overlap_grad_sync", "expected true or false, got string \"yes\""),
                 describe(issues).c_str());
    }

    void shippedConfigsAreValid()
    {
        const QDir configs(QString::fromLocal8Bit(qgetenv("LWB_SOURCE_DIR")) + "/resources/configs");
        const auto files = configs.entryList({"*.json"});
        QVERIFY(!files.isEmpty());
        for (const auto &file : files)
            lwb::loadRunConfig(configs.filePath(file).toStdString());
    }
};

QTEST_APPLESS_MAIN(TestRunConfig)
#include "test_run_config.moc"
