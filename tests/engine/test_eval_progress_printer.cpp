// EvalProgressPrinter (engine/eval/eval_progress_printer.h) on recorded
// sequences of EvalProgress reports, as the evaluator sends them (done 0
// first, then one per batch): the exact text on a terminal (carriage returns,
// padding, a newline at the end of a phase) and in a log (plain lines,
// throttled by the reports' own elapsed time), and the estimate line after
// the first batch of a long evaluation only. No clock is read: every time is
// in the reports.
#include "engine/eval/eval_progress_printer.h"

#include <QtTest>

#include <sstream>
#include <vector>

namespace {

// A phase of `total` examples in batches of `batch`, each batch taking `perBatch` seconds.
std::vector<lwb::EvalProgress> recordedPhase(const std::string &phase, std::int64_t total, std::int64_t batch,
                                             double perBatch)
{
    std::vector<lwb::EvalProgress> reports{{phase, 0, total, 0.0, -1.0}};
    for (std::int64_t done = batch, step = 1; done - batch < total; done += batch, ++step) {
        const auto finished = std::min(done, total);
        const double elapsed = perBatch * static_cast<double>(step);
        const double remaining = elapsed / static_cast<double>(finished) * static_cast<double>(total - finished);
        reports.push_back({phase, finished, total, elapsed, remaining});
    }
    return reports;
}

std::string printed(const std::vector<lwb::EvalProgress> &reports, bool terminal)
{
    std::ostringstream out;
    lwb::EvalProgressPrinter printer(out, terminal);
    const auto callback = printer.callback();
    for (const auto &report : reports)
        callback(report);
    return out.str();
}

} // namespace

class EvalProgressPrinterTest : public QObject
{
    Q_OBJECT

private slots:
    void terminalRewritesOneLineAndEstimatesALongPhase()
    {
        // 4 batches of 25, 2 s each: after the first, 6 s are left (>= 5 s): the estimate says ~8 s.
        const auto text = printed(recordedPhase("loss", 100, 25, 2.0), true);
        const std::string opening = "eval loss  0/100 examples  0.0 s";
        const std::string expected = "\r" + opening + "\r" + std::string(opening.size(), ' ')
                                     + "\r" // the open line cleared for the estimate
                                       "eval loss: about 100 examples, ~8 s at the first batch's rate\n"
                                       "\reval loss  25/100 examples  2.0 s  ETA 6.0 s"
                                       "\reval loss  50/100 examples  4.0 s  ETA 4.0 s"
                                       "\reval loss  75/100 examples  6.0 s  ETA 2.0 s"
                                       "\reval loss  100/100 examples  8.0 s  ETA 0.0 s\n";
        QCOMPARE(QString::fromStdString(text), QString::fromStdString(expected));
    }

    void aShortPhaseHasNoEstimate()
    {
        // 2 batches of 1 s: 1 s left after the first, under the 5 s threshold.
        const auto text = printed(recordedPhase("exact match", 8, 4, 1.0), true);
        QVERIFY(text.find("at the first batch's rate") == std::string::npos);
        QVERIFY(text.size() > 0 && text.back() == '\n');
    }

    void aShorterLineIsPaddedOverALongerOne()
    {
        const std::vector<lwb::EvalProgress> reports{{"loss", 0, 10, 0.0, -1.0},
                                                     {"loss", 5, 10, 61.0, 61.0},  // "1 min 01 s" twice: long
                                                     {"loss", 10, 10, 62.0, 0.0}}; // "ETA 0.0 s": shorter
        const auto text = printed(reports, true);
        const std::string longer = "eval loss  5/10 examples  1 min 01 s  ETA 1 min 01 s";
        const std::string shorter = "eval loss  10/10 examples  1 min 02 s  ETA 0.0 s";
        const auto tail = "\r" + shorter + std::string(longer.size() - shorter.size(), ' ') + "\n";
        QVERIFY2(text.size() >= tail.size() && text.compare(text.size() - tail.size(), tail.size(), tail) == 0,
                 text.c_str());
    }

    void aLogGetsThrottledPlainLines()
    {
        // 20 batches of 1 s: lines at 0 s, 1 s (the first batch), then every 10 s of the reports' time, and the last.
        const auto text = printed(recordedPhase("loss", 200, 10, 1.0), false);
        QVERIFY(text.find('\r') == std::string::npos);
        const std::string expected = "eval loss  0/200 examples  0.0 s\n"
                                     "eval loss: about 200 examples, ~20 s at the first batch's rate\n"
                                     "eval loss  10/200 examples  1.0 s  ETA 19.0 s\n"
                                     "eval loss  110/200 examples  11.0 s  ETA 9.0 s\n"
                                     "eval loss  200/200 examples  20.0 s  ETA 0.0 s\n";
        QCOMPARE(QString::fromStdString(text), QString::fromStdString(expected));
    }

    void aNewPhaseEndsAnUnfinishedLine()
    {
        // The loss phase stops at 50/100 (a stop flag); the exact-match phase starts on a fresh line.
        auto reports = recordedPhase("loss", 100, 50, 1.0);
        reports.pop_back();
        const auto next = recordedPhase("exact match", 10, 10, 1.0);
        reports.insert(reports.end(), next.begin(), next.end());
        const auto text = printed(reports, true);
        QVERIFY2(text.find("ETA 1.0 s\n\reval exact match  0/10 examples") != std::string::npos, text.c_str());
        QCOMPARE(text.back(), '\n');
    }

    void aRepeatedPhaseEstimatesAgain()
    {
        // Periodic evaluations in a run: each loss evaluation opens with done 0 and gets its own estimate.
        auto reports = recordedPhase("loss", 100, 25, 2.0);
        const auto again = recordedPhase("loss", 100, 25, 2.0);
        reports.insert(reports.end(), again.begin(), again.end());
        const auto text = printed(reports, false);
        std::size_t estimates = 0;
        for (auto at = text.find("first batch's rate"); at != std::string::npos;
             at = text.find("first batch's rate", at + 1))
            ++estimates;
        QCOMPARE(estimates, std::size_t(2));
    }
};

QTEST_APPLESS_MAIN(EvalProgressPrinterTest)
#include "test_eval_progress_printer.moc"
