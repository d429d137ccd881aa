// What every bench_gui scenario measures with: a heartbeat on the GUI thread
// (a 5 ms timer; the longest gap between ticks is the longest stall), the
// longest single events the GUI thread delivered meanwhile (so a miss names
// what held the thread), the CPU time the thread itself used, and the median
// time of forced QCustomPlot frames. Scenarios: bench_gui_scenarios.h.
#pragma once

#include <QApplication>
#include <QElapsedTimer>
#include <QString>
#include <QTimer>

#include <cstddef>
#include <functional>
#include <vector>

class QCustomPlot;

namespace lwb::bench_gui {

constexpr int kFrames = 30;

double median(std::vector<double> values);
double percentile(std::vector<double> values, double p);
double msSince(const QElapsedTimer &clock);
// "met" within the 50 ms bound, "NOT met" above it.
const char *verdict(double ms);
// CPU time the calling thread has used.
double threadCpuMs();
// Median time of `count` forced, immediate replots.
double timeFrames(QCustomPlot *plot, int count = kFrames);

// The longest events the GUI thread delivered while recording: the time one
// top-level QApplication::notify took, with what received it.
class SlowEvents
{
public:
    struct Event
    {
        double ms;
        QString what;
    };
    void start();
    void stop() { recording_ = false; }
    bool recording() const { return recording_; }
    void add(double ms, QObject *receiver, QEvent *event);
    // "    longest GUI-thread events: 61.2 ms QCustomPlot "compareCurves" MetaCall; ..."
    void print() const;

private:
    static constexpr double kShownFromMs = 10.0;
    static constexpr std::size_t kKept = 4;

    static QString describe(QObject *receiver, QEvent *event);

    bool recording_ = false;
    std::vector<Event> events_;
};

SlowEvents &slowEvents();

// Times every top-level event delivery of the GUI thread (nested deliveries
// count in their parent's time) into slowEvents() while it records.
class TimedApplication : public QApplication
{
public:
    using QApplication::QApplication;
    bool notify(QObject *receiver, QEvent *event) override;

private:
    int depth_ = 0;
};

// The longest gap between 5 ms ticks on the GUI thread while `busy()` holds.
class Heartbeat
{
public:
    Heartbeat();
    double during(const std::function<void()> &start, const std::function<bool()> &busy);
    // How long the GUI thread ran on a CPU during the longest gap: well under
    // the gap means it waited for a core (machine load), not for its own work.
    void printCpu() const;

private:
    QTimer ticker_;
    QElapsedTimer clock_;
    qint64 last_ = 0;
    double lastCpuMs_ = 0.0;
    double longest_ = 0.0;
    double longestCpuMs_ = 0.0;
};

} // namespace lwb::bench_gui
