// RunStore: every run field, tag, note and artifact round-trips; filters
// narrow the list; deleting a run takes its samples with it; config diffs
// name the differing paths; and the crash rule marks runs of dead processes
// `interrupted` while leaving live ones alone.
#include "store_test_support.h"

#include "storage/config_diff.h"
#include "storage/metric_reader.h"
#include "storage/metric_samples.h"
#include "storage/run_store.h"
#include "storage/sample_writer.h"
#include "storage/sqlite_database.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <limits>
#include <sys/wait.h>
#include <unistd.h>

using namespace lwb::storage;

namespace {

NewRun makeRun(const std::string &name, const std::string &variant = "lora")
{
    NewRun run;
    run.name = name;
    run.variant = variant;
    run.configJson = R"({"optimizer": {"lr": 0.001}, "adapter": {"rank": 8, "kind": ")" + variant + R"("}})";
    run.seed = 42;
    run.device = "cpu";
    run.programVersion = "0.1.0";
    return run;
}

// A PID that surely belongs to no process: a child that has exited and been reaped.
std::int64_t deadPid()
{
    const pid_t child = ::fork();
    if (child == 0)
        ::_exit(0);
    int status = 0;
    ::waitpid(child, &status, 0);
    return child;
}

} // namespace

class RunStoreTest : public QObject
{
    Q_OBJECT

private slots:
    void init() { store_ = std::make_unique<RunStore>(dir_.filePath("runs.db").toStdString()); }
    void cleanup()
    {
        store_.reset();
        std::filesystem::remove(dir_.filePath("runs.db").toStdString());
    }

    void runRoundTrip()
    {
        NewRun run = makeRun("round trip");
        run.seed = 0xfedcba9876543210ULL; // above INT64_MAX: stored bit for bit
        run.tags = {"b-tag", "a-tag"};
        run.notes = "first try";
        run.status = RunStatus::Running;
        run.totalSteps = 500;
        run.startStep = 100;
        run.trainableParameters = 4096;
        run.totalParameters = 1 << 20;
        const std::int64_t parent = store_->createRun(makeRun("parent"));
        run.parentRunId = parent;
        const std::int64_t id = store_->createRun(run);

        const RunRecord read = store_->run(id);
        QCOMPARE(read.name, run.name);
        QCOMPARE(read.variant, run.variant);
        QCOMPARE(read.status, RunStatus::Running);
        QCOMPARE(read.seed, run.seed);
        QCOMPARE(read.device, run.device);
        QCOMPARE(read.programVersion, run.programVersion);
        QCOMPARE(read.tags, (std::vector<std::string>{"a-tag", "b-tag"}));
        QCOMPARE(read.notes, run.notes);
        QCOMPARE(read.parentRunId, parent);
        QCOMPARE(read.totalSteps, run.totalSteps);
        QCOMPARE(read.startStep, run.startStep);
        QCOMPARE(read.trainableParameters, run.trainableParameters);
        QCOMPARE(read.totalParameters, run.totalParameters);
        QVERIFY(read.startedAt.has_value());
        QVERIFY(!read.finishedAt.has_value());
        QVERIFY(read.createdAt > 1.6e9);
        // Config stored canonically and hashed.
        QCOMPARE(nlohmann::json::parse(read.configJson), nlohmann::json::parse(run.configJson));
        QCOMPARE(read.configSha256, sha256Hex(read.configJson));

        store_->finishRun(id, RunStatus::Failed, "out of memory");
        const RunRecord failed = store_->run(id);
        QCOMPARE(failed.status, RunStatus::Failed);
        QCOMPARE(failed.statusMessage, std::string("out of memory"));
        QVERIFY(failed.finishedAt.has_value());

        QVERIFY(!store_->findRun(id + 100).has_value());
        QVERIFY_THROWS_EXCEPTION(lwb::Error, store_->run(id + 100));
    }

    void sameConfigSameHashWhateverTheFormatting()
    {
        NewRun a = makeRun("a");
        NewRun b = makeRun("b");
        b.configJson = R"({  "adapter":{"kind":"lora","rank":8},
                             "optimizer":{"lr":0.001}  })";
        NewRun c = makeRun("c");
        c.configJson = R"({"adapter": {"kind": "lora", "rank": 16}, "optimizer": {"lr": 0.001}})";
        const RunRecord ra = store_->run(store_->createRun(a));
        const RunRecord rb = store_->run(store_->createRun(b));
        const RunRecord rc = store_->run(store_->createRun(c));
        QCOMPARE(ra.configSha256, rb.configSha256);
        QVERIFY(ra.configSha256 != rc.configSha256);

        NewRun bad = makeRun("bad");
        bad.configJson = "{not json";
        QVERIFY_THROWS_EXCEPTION(lwb::Error, store_->createRun(bad));
    }

    void tagsAndNotes()
    {
        const std::int64_t id = store_->createRun(makeRun("tagged"));
        store_->addTags(id, {"sweep", " rank-8 ", "sweep"});
        QCOMPARE(store_->run(id).tags, (std::vector<std::string>{"rank-8", "sweep"}));
        store_->removeTags(id, {"sweep"});
        QCOMPARE(store_->run(id).tags, std::vector<std::string>{"rank-8"});
        QVERIFY_THROWS_EXCEPTION(lwb::Error, store_->addTags(id, {"  "}));
        QVERIFY_THROWS_EXCEPTION(lwb::Error, store_->addTags(id + 1, {"x"}));
        store_->setNotes(id, "lr too high?\nsecond line");
        QCOMPARE(store_->run(id).notes, std::string("lr too high?\nsecond line"));
        QCOMPARE(store_->allTags(), std::vector<std::string>{"rank-8"});
    }

    void filters()
    {
        const std::int64_t lora = store_->createRun(makeRun("Baseline LoRA"));
        NewRun siraRun = makeRun("sira 100% capacity", "sira");
        siraRun.tags = {"sweep"};
        siraRun.status = RunStatus::Running;
        const std::int64_t sira = store_->createRun(siraRun);
        NewRun noted = makeRun("third", "dlp");
        noted.notes = "the BASELINE for dlp";
        const std::int64_t dlp = store_->createRun(noted);
        store_->finishRun(lora, RunStatus::Finished);

        auto ids = [&](const RunFilter &filter) {
            std::vector<std::int64_t> out;
            for (const RunRecord &run : store_->listRuns(filter))
                out.push_back(run.id);
            return out;
        };
        QCOMPARE(ids({}), (std::vector<std::int64_t>{dlp, sira, lora})); // newest first

        RunFilter byStatus;
        byStatus.statuses = {RunStatus::Finished, RunStatus::Running};
        QCOMPARE(ids(byStatus), (std::vector<std::int64_t>{sira, lora}));

        RunFilter byVariant;
        byVariant.variant = "sira";
        QCOMPARE(ids(byVariant), std::vector<std::int64_t>{sira});

        RunFilter byTag;
        byTag.tag = "sweep";
        QCOMPARE(ids(byTag), std::vector<std::int64_t>{sira});

        RunFilter byText; // name or notes, any case
        byText.text = "baseline";
        QCOMPARE(ids(byText), (std::vector<std::int64_t>{dlp, lora}));

        RunFilter literalPercent; // % and _ are text, not wildcards
        literalPercent.text = "100%";
        QCOMPARE(ids(literalPercent), std::vector<std::int64_t>{sira});
        literalPercent.text = "1_0";
        QVERIFY(ids(literalPercent).empty());

        RunFilter paged;
        paged.limit = 1;
        paged.offset = 1;
        QCOMPARE(ids(paged), std::vector<std::int64_t>{sira});

        RunFilter combined;
        combined.text = "baseline";
        combined.statuses = {RunStatus::Finished};
        QCOMPARE(ids(combined), std::vector<std::int64_t>{lora});
        QCOMPARE(store_->allVariants(), (std::vector<std::string>{"dlp", "lora", "sira"}));
    }

    // The run list's figures come from one statement; they must equal what
    // MetricReader's per-series summaries (a plain loop per run) give, NaN
    // evaluations and runs without evaluations included.
    void listFiguresMatchPerRunSummaries()
    {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        SampleWriter writer(store_->database());
        auto record = [&](const std::string &name, const std::vector<lwb::EvalMetrics> &evals) {
            const std::int64_t id = store_->createRun(makeRun(name));
            SampleBatch batch;
            appendSamples(test::makeStep(1, 2), batch);
            for (const auto &eval : evals)
                appendSamples(eval, double(eval.step), batch);
            Transaction transaction(store_->database());
            writer.write(id, batch);
            transaction.commit();
            return id;
        };
        // Loss falls then rises; the last evaluation's "b" is NaN, so b's latest finite value is step 20's.
        const std::int64_t mixed = record("mixed", {{10, 2.0, 7.4, 100, {{"a", 0.25}, {"b", 0.5}}, {}},
                                                    {20, 1.5, 4.5, 100, {{"a", 0.5}, {"b", 0.75}}, {}},
                                                    {30, 1.75, 5.8, 100, {{"a", 1.0}, {"b", nan}}, {}}});
        const std::int64_t diverged = record("diverged", {{10, 3.0, 20.1, 100, {}, {}}, {20, nan, nan, 100, {}, {}}});
        const std::int64_t none = record("no evaluations", {});

        MetricReader reader(*store_);
        const auto entries = store_->listRunsWithFigures();
        QCOMPARE(entries.size(), std::size_t(3));
        for (const RunListEntry &entry : entries) {
            std::optional<double> finalLoss, bestLoss, meanExact;
            double exactSum = 0.0;
            int tasks = 0;
            for (const SeriesSummary &summary : reader.summaries(entry.run.id)) {
                if (summary.series == series::kEvalLoss) {
                    finalLoss = summary.latestValue;
                    bestLoss = summary.bestValue;
                } else if (summary.series.rfind(series::kEvalExactMatchPrefix, 0) == 0) {
                    exactSum += summary.latestValue;
                    ++tasks;
                }
            }
            if (tasks > 0)
                meanExact = exactSum / tasks;
            QCOMPARE(entry.finalEvalLoss, finalLoss);
            QCOMPARE(entry.bestEvalLoss, bestLoss);
            QCOMPARE(entry.meanExactMatch, meanExact);
            QCOMPARE(entry.run.name, store_->run(entry.run.id).name);
        }
        // The expected values written out (loss 1.75 last, 1.5 lowest; a: 1.0, b: 0.75).
        QCOMPARE(entries[2].run.id, mixed);
        QCOMPARE(entries[2].finalEvalLoss, std::optional<double>(1.75));
        QCOMPARE(entries[2].bestEvalLoss, std::optional<double>(1.5));
        QCOMPARE(entries[2].meanExactMatch, std::optional<double>(0.875));
        QCOMPARE(entries[1].run.id, diverged);
        QCOMPARE(entries[1].finalEvalLoss, std::optional<double>(3.0));
        QVERIFY(!entries[1].meanExactMatch);
        QCOMPARE(entries[0].run.id, none);
        QVERIFY(!entries[0].finalEvalLoss && !entries[0].bestEvalLoss && !entries[0].meanExactMatch);

        // Filter and page apply as in listRuns.
        RunFilter page;
        page.limit = 1;
        page.offset = 2;
        const auto paged = store_->listRunsWithFigures(page);
        QCOMPARE(paged.size(), std::size_t(1));
        QCOMPARE(paged[0].run.id, mixed);
        QCOMPARE(paged[0].meanExactMatch, std::optional<double>(0.875));
    }

    void artifactRoundTrip()
    {
        const std::int64_t id = store_->createRun(makeRun("exported"));
        const std::string file = dir_.filePath("adapter.safetensors").toStdString();
        std::ofstream(file, std::ios::binary) << std::string(3000, '\x42');
        const std::int64_t artifactId = store_->addArtifact(id, "peft_adapter", file);
        const std::vector<ArtifactRecord> artifacts = store_->artifacts(id);
        QCOMPARE(artifacts.size(), std::size_t(1));
        QCOMPARE(artifacts[0].id, artifactId);
        QCOMPARE(artifacts[0].kind, std::string("peft_adapter"));
        QCOMPARE(artifacts[0].path, file);
        QCOMPARE(artifacts[0].sizeBytes, std::int64_t(3000));
        QCOMPARE(artifacts[0].sha256, sha256Hex(std::string(3000, '\x42')));
        QVERIFY_THROWS_EXCEPTION(lwb::Error, store_->addArtifact(id, "x", dir_.filePath("nope").toStdString()));
        QVERIFY_THROWS_EXCEPTION(lwb::Error, store_->addArtifact(id + 99, "x", file));
    }

    void deleteCascades()
    {
        const std::int64_t parent = store_->createRun(makeRun("parent"));
        NewRun childRun = makeRun("child");
        childRun.parentRunId = parent;
        const std::int64_t child = store_->createRun(childRun);
        store_->addTags(parent, {"t"});
        const std::string file = dir_.filePath("ckpt.bin").toStdString();
        std::ofstream(file) << "x";
        store_->addArtifact(parent, "checkpoint", file);
        SampleWriter writer(store_->database());
        SampleBatch batch;
        appendSamples(test::makeStep(1, 2), batch);
        appendSamples(lwb::EvalMetrics{1, 2.0, 7.4, 100, {{"copy", 0.5}}, {}}, 1.0, batch);
        writer.write(parent, batch);
        writer.write(child, batch);

        store_->deleteRun(parent);
        Database &db = store_->database();
        for (const char *table : {"scalar_samples", "vector_samples", "evaluations", "artifacts", "run_tags"}) {
            auto query = db.prepare(std::string("SELECT count(*) FROM ") + table + " WHERE run_id = ?1");
            query.bind(1, parent);
            QVERIFY(query.step());
            QVERIFY2(query.columnInt(0) == 0, table);
        }
        QCOMPARE(store_->run(child).parentRunId, std::int64_t(0)); // ON DELETE SET NULL
        MetricReader reader(*store_);
        QCOMPARE(reader.scalarSampleCount(child), std::int64_t(batch.scalars.size()));
        QVERIFY_THROWS_EXCEPTION(lwb::Error, store_->deleteRun(parent));
    }

    void configDiffNamesThePaths()
    {
        NewRun a = makeRun("a");
        a.configJson = R"({"adapter": {"rank": 8, "targets": ["q", "v"]}, "lr": 0.001, "warmup": 10})";
        NewRun b = makeRun("b");
        b.configJson = R"({"adapter": {"rank": 16, "targets": ["q", "v", "o"]}, "lr": 0.001})";
        const std::int64_t ia = store_->createRun(a);
        const std::int64_t ib = store_->createRun(b);
        const std::vector<ConfigDifference> diff = store_->configDiff({ia, ib});
        std::map<std::string, std::vector<std::optional<std::string>>> byPath;
        for (const auto &difference : diff)
            byPath[difference.path] = difference.values;
        QCOMPARE(byPath.size(), std::size_t(3));
        QCOMPARE(byPath["adapter.rank"], (std::vector<std::optional<std::string>>{"8", "16"}));
        QCOMPARE(byPath["adapter.targets[2]"], (std::vector<std::optional<std::string>>{std::nullopt, "\"o\""}));
        QCOMPARE(byPath["warmup"], (std::vector<std::optional<std::string>>{"10", std::nullopt}));
        QVERIFY(store_->configDiff({ia, ia}).empty());
    }

    void flattenKeepsEmptyContainers()
    {
        const auto leaves = flattenJson(nlohmann::json::parse(R"({"a": {}, "b": [], "c": [{"d": null}]})"));
        QCOMPARE(leaves.at("a"), std::string("{}"));
        QCOMPARE(leaves.at("b"), std::string("[]"));
        QCOMPARE(leaves.at("c[0].d"), std::string("null"));
    }

    void deadOwnerMeansInterrupted()
    {
        const std::int64_t dead = store_->createRun(makeRun("dead owner"));
        ProcessIdentity gone = currentProcess();
        gone.pid = deadPid();
        gone.startTicks = 1;
        store_->markRunStarted(dead, gone);

        const std::int64_t alive = store_->createRun(makeRun("live owner"));
        store_->markRunStarted(alive, currentProcess());

        const std::int64_t reused = store_->createRun(makeRun("pid reused"));
        ProcessIdentity impostor = currentProcess();
        impostor.startTicks += 12345; // our PID, but another process's start time
        store_->markRunStarted(reused, impostor);

        SampleWriter writer(store_->database());
        SampleBatch batch;
        appendSamples(test::makeStep(1), batch);
        writer.write(dead, batch);

        QCOMPARE(store_->markInterruptedRuns(), 2);
        const RunRecord deadRun = store_->run(dead);
        QCOMPARE(deadRun.status, RunStatus::Interrupted);
        QVERIFY(deadRun.statusMessage.find("PID") != std::string::npos);
        QVERIFY(deadRun.finishedAt.has_value());
        QCOMPARE(store_->run(reused).status, RunStatus::Interrupted);
        QCOMPARE(store_->run(alive).status, RunStatus::Running);
        MetricReader reader(*store_);
        QCOMPARE(reader.scalarSampleCount(dead), std::int64_t(batch.scalars.size())); // samples intact
    }

    void otherHostUsesTheHeartbeat()
    {
        const std::int64_t stale = store_->createRun(makeRun("stale remote"));
        const std::int64_t fresh = store_->createRun(makeRun("fresh remote"));
        ProcessIdentity remote{4242, 99, "some-other-host.example"};
        store_->markRunStarted(stale, remote);
        store_->markRunStarted(fresh, remote);
        auto age = store_->database().prepare("UPDATE runs SET heartbeat_at = heartbeat_at - 3600 WHERE id = ?1");
        age.bind(1, stale);
        age.run();

        // Reopening is what marks them (the default on open).
        store_.reset();
        store_ = std::make_unique<RunStore>(dir_.filePath("runs.db").toStdString());
        QCOMPARE(store_->run(stale).status, RunStatus::Interrupted);
        QVERIFY(store_->run(stale).statusMessage.find("some-other-host.example") != std::string::npos);
        QCOMPARE(store_->run(fresh).status, RunStatus::Running);
    }

private:
    QTemporaryDir dir_;
    std::unique_ptr<RunStore> store_;
};

QTEST_APPLESS_MAIN(RunStoreTest)
#include "run_store_test.moc"
