// bench_gui: the two GUI figures of issue 8, on the offscreen platform.
//
// 1. Repaint time of the loss plot with 100,000 points per series (train loss
//    with smoothing on, so the smoothed curve is drawn too, and the eval
//    loss), median of 30 forced frames; baseline in the same run: the same
//    points handed to QCustomPlot without downsampling.
// 2. Event-loop stall while a real job trains: the main window runs the
//    default LoRA config for --seconds seconds while a 5 ms timer ticks on the
//    GUI thread; the gaps between ticks are how long the GUI thread was busy
//    (median, 99th percentile, longest). The bound is 50 ms.
// 3. GUI-thread stalls of issue 23 (bound 50 ms each), measured by the same
//    kind of heartbeat (a 5 ms timer; the longest gap), each beside the time
//    the old synchronous code spent on the GUI thread for the same work (its
//    path timed directly: that time was one stall):
//    a run-browser refresh of 10,000 runs; a compare of 8 runs of 100,000
//    steps; an export (merged model, every file hashed) of a trained run.
// 4. Cancel latency (the goal: under one step and under 1 s on the
//    built-in model): Cancel mid-training, and a stop that arrives when only a
//    long final evaluation is left (the job held at the pause gate after its
//    last step, then cancelled), both to the job's end signal.
//
// Each stall line is followed by the longest single events the GUI thread
// handled in that window (receiver and event type, from QApplication::notify),
// so a miss names what held the thread.
//
//   QT_QPA_PLATFORM=offscreen build/tests/bench/bench_gui [--seconds 10] [--threads N] [--runs 10000]
//       [--compare-steps 100000] [--compare-store PATH] [--only repaint,training,browser,compare,export,cancel]
//
// The measuring tools (heartbeat, slowest events, frame times) are in
// bench_gui_harness.h; each scenario lives in the file bench_gui_scenarios.h
// names.
#include "bench_gui_harness.h"
#include "bench_gui_scenarios.h"

#include <QSettings>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>

namespace {

constexpr const char *kUsage
    = "usage: QT_QPA_PLATFORM=offscreen bench_gui [--seconds 10] [--threads N] [--runs 10000]\n"
      "           [--compare-steps 100000] [--compare-store PATH]\n"
      "           [--only repaint,training,browser,compare,export,cancel]\n"
      "  --seconds        how long the training stall is measured (default 10)\n"
      "  --threads        torch threads of the trained jobs (default 1)\n"
      "  --runs           runs in the browser-refresh store (default 10000)\n"
      "  --compare-steps  steps of each of the 8 compared runs (default 100000)\n"
      "  --compare-store  keep the compare's store at PATH (for a screenshot of the same compare)\n"
      "  --only           the scenarios to run, comma-separated (default: all)\n";

} // namespace

int main(int argc, char *argv[])
{
    using namespace lwb::bench_gui;
    int seconds = 10;
    int threads = 1;
    int runs = 10000;
    int compareSteps = 100000;
    QString compareStore;
    QStringList only{QStringLiteral("repaint"), QStringLiteral("training"), QStringLiteral("browser"),
                     QStringLiteral("compare"), QStringLiteral("export"),   QStringLiteral("cancel")};
    // Read before the application exists, so --help needs no display.
    QStringList args;
    for (int i = 0; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);
    const QStringList valued{QStringLiteral("--seconds"),       QStringLiteral("--threads"),
                             QStringLiteral("--runs"),          QStringLiteral("--compare-steps"),
                             QStringLiteral("--compare-store"), QStringLiteral("--only"),
                             QStringLiteral("-platform")}; // -platform: read by QApplication
    for (int i = 1; i < args.size(); ++i) {
        if (args[i] == QLatin1String("--help") || args[i] == QLatin1String("-h")) {
            std::printf("%s", kUsage);
            return 0;
        }
        if (!valued.contains(args[i]) || i + 1 == args.size()) {
            std::fprintf(stderr, "bench_gui: %s %s\n%s", qPrintable(args[i]),
                         valued.contains(args[i]) ? "needs a value" : "is not an option", kUsage);
            return 2;
        }
        const QString &value = args[++i];
        if (args[i - 1] == QLatin1String("--seconds"))
            seconds = std::max(1, value.toInt());
        if (args[i - 1] == QLatin1String("--threads"))
            threads = std::max(1, value.toInt());
        if (args[i - 1] == QLatin1String("--runs"))
            runs = std::max(1, value.toInt());
        if (args[i - 1] == QLatin1String("--compare-steps"))
            compareSteps = std::max(1, value.toInt());
        if (args[i - 1] == QLatin1String("--compare-store"))
            compareStore = value;
        if (args[i - 1] == QLatin1String("--only"))
            only = value.split(QLatin1Char(','));
    }
    TimedApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("lwb-bench"));
    QTemporaryDir settings;
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, settings.path());
    std::printf("bench_gui (Qt %s, platform %s)\n", qVersion(), qPrintable(QGuiApplication::platformName()));
    if (only.contains(QLatin1String("repaint")))
        benchRepaint();
    if (only.contains(QLatin1String("training")))
        benchStall(seconds, threads);
    QTemporaryDir dir;
    qputenv("XDG_DATA_HOME", dir.filePath(QStringLiteral("data")).toUtf8());
    if (only.contains(QLatin1String("browser")))
        benchBrowserRefresh(dir, runs);
    if (only.contains(QLatin1String("compare")))
        benchCompare(dir, compareSteps, compareStore);
    if (only.contains(QLatin1String("export")))
        benchExport(dir, threads);
    if (only.contains(QLatin1String("cancel")))
        benchCancelLatency(dir, threads);
    return 0;
}
