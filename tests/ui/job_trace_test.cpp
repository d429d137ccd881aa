// JobTrace (ui/job_trace.h), what the live dashboard keeps of each job: every
// step of a short run; a long run thinned to evenly spaced steps within the
// bound, the latest step always last; a study's stages one per stage; the
// outcome.
#include "run_outcome_text.h"
#include "ui/job_trace.h"

#include <QtTest>

using lwb::ui::JobTrace;
using lwb::ui::StepBatch;

namespace {

StepBatch stepsFrom(std::int64_t first, std::int64_t last)
{
    StepBatch steps;
    for (std::int64_t step = first; step <= last; ++step) {
        lwb::StepMetrics metrics;
        metrics.step = step;
        metrics.loss = 1.0 / static_cast<double>(step);
        steps.append(metrics);
    }
    return steps;
}

} // namespace

class JobTraceTest : public QObject
{
    Q_OBJECT

private slots:
    void aShortRunIsKeptWhole()
    {
        JobTrace trace(lwb::RunConfig{});
        trace.addSteps(stepsFrom(1, 10));
        trace.addSteps(stepsFrom(11, 300));
        const StepBatch kept = trace.steps();
        QCOMPARE(kept.size(), 300);
        for (qsizetype i = 0; i < kept.size(); ++i)
            QCOMPARE(kept[i].step, static_cast<std::int64_t>(i + 1));
    }

    void aLongRunIsThinnedEvenlyAndEndsWithTheLatestStep()
    {
        JobTrace trace(lwb::RunConfig{});
        const std::int64_t total = 10 * JobTrace::kMaxSteps + 7;
        for (std::int64_t first = 1; first <= total; first += 100)
            trace.addSteps(stepsFrom(first, std::min(first + 99, total)));
        const StepBatch kept = trace.steps();
        QVERIFY(kept.size() <= JobTrace::kMaxSteps + 1);
        QVERIFY(kept.size() >= JobTrace::kMaxSteps / 4);
        QCOMPARE(kept.front().step, std::int64_t{1});
        QCOMPARE(kept.back().step, total);
        // Evenly spaced apart from the latest step.
        const std::int64_t stride = kept[1].step - kept[0].step;
        QVERIFY(stride > 1);
        for (qsizetype i = 1; i + 1 < kept.size(); ++i)
            QCOMPARE(kept[i].step - kept[i - 1].step, stride);
    }

    void aStudyKeepsTheLatestReportPerStage()
    {
        lwb::RunConfig config;
        config.adapter.variant = lwb::kDlpVariant;
        JobTrace trace(config);
        QVERIFY(trace.isStudy());
        const auto report = [&](const char *stage, const char *detail, std::int64_t done) {
            lwb::DlpStudyProgress progress;
            progress.stage = stage;
            progress.detail = detail;
            progress.done = done;
            trace.addProgress(progress);
        };
        report("task lora", "pos", 1);
        report("task lora", "pos", 2);
        report("task lora", "antonym", 1);
        report("plugin", "", 3);
        report("task lora", "pos", 5);
        QCOMPARE(trace.stages().size(), 3);
        QCOMPARE(trace.stages()[0].done, std::int64_t{5});
        QCOMPARE(trace.stages()[1].detail, std::string("antonym"));
        QCOMPARE(trace.stages()[2].stage, std::string("plugin"));
    }

    void theOutcomeIsKept()
    {
        JobTrace trace(lwb::RunConfig{});
        QVERIFY(!trace.outcome());
        trace.setEnded(lwb::RunOutcome::Failed, QStringLiteral("no GPU"));
        QCOMPARE(lwb::ui::test::outcomeName(*trace.outcome()), lwb::ui::test::outcomeName(lwb::RunOutcome::Failed));
        QCOMPARE(trace.message(), QStringLiteral("no GPU"));
    }
};

QTEST_APPLESS_MAIN(JobTraceTest)
#include "job_trace_test.moc"
