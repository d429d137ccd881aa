// `lorawb runs` through runRunsCommand with string streams: list, show,
// compare, export (csv and json), delete (asks unless --yes), tag, note;
// errors go to err with a non-zero status; --db may stand anywhere; the
// default database path follows LWB_DB and XDG_DATA_HOME.
#include "store_test_support.h"

#include "app/runs_command.h"

#include "storage/database_location.h"
#include "storage/run_store.h"
#include "storage/sample_writer.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <sstream>

using namespace lwb::storage;

namespace {

struct Result
{
    int status = 0;
    std::string out;
    std::string err;
};

Result runs(std::vector<std::string> args, const std::string &input = {})
{
    std::ostringstream out, err;
    std::istringstream in(input);
    Result result;
    result.status = lwb::cli::runRunsCommand(args, out, err, in);
    result.out = out.str();
    result.err = err.str();
    return result;
}

bool contains(const std::string &text, const std::string &part)
{
    return text.find(part) != std::string::npos;
}

} // namespace

class RunsCommandTest : public QObject
{
    Q_OBJECT

private slots:
    void init()
    {
        db_ = dir_.filePath("runs.db").toStdString();
        RunStore store(db_);
        SampleWriter writer(store.database());
        for (int rank : {8, 16}) {
            NewRun run;
            run.name = "rank " + std::to_string(rank);
            run.variant = "lora";
            run.configJson = R"({"adapter": {"rank": )" + std::to_string(rank) + R"(}, "lr": 0.001})";
            run.tags = {"sweep"};
            run.totalSteps = 3;
            const std::int64_t id = store.createRun(run);
            ids_.push_back(id);
            SampleBatch batch;
            for (std::int64_t step = 1; step <= 3; ++step) {
                lwb::StepMetrics metrics = test::makeStep(step);
                metrics.loss += rank; // the runs differ in their metrics too
                appendSamples(metrics, batch);
            }
            appendSamples(lwb::EvalMetrics{3, 1.5, 4.48, 100, {{"copy", rank / 16.0}}, {}}, 1.0, batch);
            writer.write(id, batch);
            store.finishRun(id, RunStatus::Finished);
        }
    }
    void cleanup()
    {
        ids_.clear();
        for (const char *suffix : {"", "-wal", "-shm"})
            std::filesystem::remove(db_ + suffix);
    }

    void list()
    {
        const Result result = runs({"--db", db_, "list"});
        QCOMPARE(result.status, 0);
        QVERIFY2(contains(result.out, "rank 8") && contains(result.out, "rank 16"), result.out.c_str());
        QVERIFY(contains(result.out, "finished"));
        QVERIFY(contains(result.out, "3/3")); // last step of train/loss / total
        QVERIFY(result.err.empty());

        const Result filtered = runs({"list", "--search", "16", "--db", db_}); // --db after the command
        QCOMPARE(filtered.status, 0);
        QVERIFY(contains(filtered.out, "rank 16"));
        QVERIFY(!contains(filtered.out, "rank 8"));

        const Result none = runs({"--db", db_, "list", "--status", "failed"});
        QCOMPARE(none.status, 0);
        QVERIFY(contains(none.out, "No runs match"));

        const Result badStatus = runs({"--db", db_, "list", "--status", "happy"});
        QCOMPARE(badStatus.status, 2);
        QVERIFY(contains(badStatus.err, "unknown status 'happy'"));
    }

    void show()
    {
        const Result result = runs({"--db", db_, "show", std::to_string(ids_[0])});
        QCOMPARE(result.status, 0);
        QVERIFY(contains(result.out, "rank 8"));
        QVERIFY(contains(result.out, "train/loss"));
        QVERIFY(contains(result.out, "exact_match"));
        QVERIFY(contains(result.out, "\"rank\": 8"));
        QVERIFY(contains(result.out, "sweep"));

        const Result missing = runs({"--db", db_, "show", "999"});
        QCOMPARE(missing.status, 1);
        QVERIFY2(contains(missing.err, "no run with id 999"), missing.err.c_str());
        QVERIFY(missing.out.empty());
    }

    void compare()
    {
        const Result result = runs({"--db", db_, "compare", std::to_string(ids_[0]), std::to_string(ids_[1])});
        QCOMPARE(result.status, 0);
        QVERIFY2(contains(result.out, "adapter.rank"), result.out.c_str());
        QVERIFY(!contains(result.out, "\nlr ")); // equal settings are not differences
        QVERIFY(contains(result.out, "eval/exact_match/copy"));
        QVERIFY(contains(result.out, "0.5 [0.5]"));
        QVERIFY(contains(result.out, "1 [1]"));

        const Result one = runs({"--db", db_, "compare", std::to_string(ids_[0])});
        QCOMPARE(one.status, 2);
    }

    void exportCsv()
    {
        const Result result = runs({"--db", db_, "export", std::to_string(ids_[0]), "--format", "csv"});
        QCOMPARE(result.status, 0);
        std::istringstream lines(result.out);
        std::string header;
        std::getline(lines, header);
        QCOMPARE(header, std::string("series,step,value,wall_seconds"));
        int rows = 0;
        bool sawLoss = false;
        for (std::string line; std::getline(lines, line); ++rows)
            sawLoss = sawLoss || line.rfind("train/loss,2,10.94", 0) == 0;
        QCOMPARE(rows, 3 * 5 + 3); // five train series, eval loss, perplexity, copy
        QVERIFY(sawLoss);
    }

    void exportJsonToFile()
    {
        const std::string file = dir_.filePath("run.json").toStdString();
        const Result result = runs({"--db", db_, "export", std::to_string(ids_[1]), "--format=json", "--output", file});
        QCOMPARE(result.status, 0);
        std::ifstream in(file);
        const nlohmann::json document = nlohmann::json::parse(in);
        QCOMPARE(document["format"].get<std::string>(), std::string("lora-workbench-run/1"));
        QCOMPARE(document["run"]["name"].get<std::string>(), std::string("rank 16"));
        QCOMPARE(document["config"]["adapter"]["rank"].get<int>(), 16);
        QCOMPARE(document["scalars"]["train/loss"]["step"].size(), std::size_t(3));
        QCOMPARE(document["evaluations"].size(), std::size_t(4));

        const Result badFormat = runs({"--db", db_, "export", std::to_string(ids_[1]), "--format", "xml"});
        QCOMPARE(badFormat.status, 2);
        QVERIFY(contains(badFormat.err, "--format"));
    }

    void deleteAsksFirst()
    {
        const std::string id = std::to_string(ids_[0]);
        const Result declined = runs({"--db", db_, "delete", id}, "n\n");
        QCOMPARE(declined.status, 1);
        QVERIFY(contains(declined.out, "[y/N]"));
        QVERIFY(contains(declined.err, "Not deleted"));
        QVERIFY(RunStore(db_).findRun(ids_[0]).has_value());

        const Result noAnswer = runs({"--db", db_, "delete", id}, ""); // end of input: no
        QCOMPARE(noAnswer.status, 1);
        QVERIFY(RunStore(db_).findRun(ids_[0]).has_value());

        const Result confirmed = runs({"--db", db_, "delete", id}, "yes\n");
        QCOMPARE(confirmed.status, 0);
        QVERIFY(!RunStore(db_).findRun(ids_[0]).has_value());

        const Result forced = runs({"--db", db_, "delete", "--yes", std::to_string(ids_[1])});
        QCOMPARE(forced.status, 0);
        QVERIFY(!contains(forced.out, "[y/N]"));
        QVERIFY(RunStore(db_).listRuns().empty());
    }

    void tagAndNote()
    {
        const std::string id = std::to_string(ids_[0]);
        QCOMPARE(runs({"--db", db_, "tag", id, "best", "keep"}).status, 0);
        QCOMPARE(RunStore(db_).run(ids_[0]).tags, (std::vector<std::string>{"best", "keep", "sweep"}));
        QCOMPARE(runs({"--db", db_, "tag", id, "sweep", "--remove"}).status, 0);
        QCOMPARE(RunStore(db_).run(ids_[0]).tags, (std::vector<std::string>{"best", "keep"}));
        QCOMPARE(runs({"--db", db_, "note", id, "learning", "rate", "too", "high"}).status, 0);
        QCOMPARE(RunStore(db_).run(ids_[0]).notes, std::string("learning rate too high"));
        const Result listByTag = runs({"--db", db_, "list", "--tag", "best"});
        QVERIFY(contains(listByTag.out, "rank 8") && !contains(listByTag.out, "rank 16"));
        QCOMPARE(runs({"--db", db_, "tag", "999", "x"}).status, 1);
    }

    void usageErrors()
    {
        QCOMPARE(runs({}).status, 2);
        const Result unknown = runs({"--db", db_, "frobnicate"});
        QCOMPARE(unknown.status, 2);
        QVERIFY(contains(unknown.err, "unknown command 'frobnicate'"));
        QCOMPARE(runs({"--db", db_, "show", "abc"}).status, 2);
        QCOMPARE(runs({"--db", db_, "show", "1", "--colour"}).status, 2);
        QCOMPARE(runs({"--db"}).status, 2);
        QCOMPARE(runs({"help"}).status, 0);
    }

    void badDatabaseFileIsReportedUntouched()
    {
        const std::string bad = dir_.filePath("notes.txt").toStdString();
        std::ofstream(bad) << "definitely not SQLite";
        const std::string before = test::fileChecksum(bad);
        const Result result = runs({"--db", bad, "list"});
        QCOMPARE(result.status, 1);
        QVERIFY2(contains(result.err, bad) && contains(result.err, "not an SQLite database"), result.err.c_str());
        QCOMPARE(test::fileChecksum(bad), before);
    }

    void defaultDatabasePathFollowsTheEnvironment()
    {
        const QByteArray oldDb = qgetenv("LWB_DB");
        const QByteArray oldData = qgetenv("XDG_DATA_HOME");
        const QByteArray oldHome = qgetenv("HOME");
        qputenv("LWB_DB", "/somewhere/mine.db");
        QCOMPARE(defaultDatabasePath(), std::string("/somewhere/mine.db"));
        qunsetenv("LWB_DB");
        qputenv("XDG_DATA_HOME", "/data");
        QCOMPARE(defaultDatabasePath(), std::string("/data/lora-workbench/runs.db"));
        qputenv("XDG_DATA_HOME", "relative/ignored");
        qputenv("HOME", "/home/researcher");
        QCOMPARE(defaultDatabasePath(), std::string("/home/researcher/.local/share/lora-workbench/runs.db"));
        qunsetenv("XDG_DATA_HOME");
        QCOMPARE(defaultDatabasePath(), std::string("/home/researcher/.local/share/lora-workbench/runs.db"));

        // The CLI uses it when --db is absent.
        qputenv("LWB_DB", QByteArray::fromStdString(db_));
        const Result result = runs({"list"});
        QCOMPARE(result.status, 0);
        QVERIFY(contains(result.out, "rank 8"));

        auto restore = [](const char *name, const QByteArray &value) {
            if (value.isNull())
                qunsetenv(name);
            else
                qputenv(name, value);
        };
        restore("LWB_DB", oldDb);
        restore("XDG_DATA_HOME", oldData);
        restore("HOME", oldHome);
    }

private:
    QTemporaryDir dir_;
    std::string db_;
    std::vector<std::int64_t> ids_;
};

QTEST_APPLESS_MAIN(RunsCommandTest)
#include "runs_command_test.moc"
