// bench_gui's measuring tools (bench_gui_harness.h).
#include "bench_gui_harness.h"

#include <qcustomplot.h>

#include <QMetaEnum>
#include <QThread>
#include <QtTest>

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace lwb::bench_gui {

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

double percentile(std::vector<double> values, double p)
{
    std::sort(values.begin(), values.end());
    return values[std::min(values.size() - 1, static_cast<std::size_t>(p * double(values.size())))];
}

double msSince(const QElapsedTimer &clock)
{
    return double(clock.nsecsElapsed()) / 1e6;
}

const char *verdict(double ms)
{
    return ms <= 50.0 ? "met" : "NOT met";
}

double threadCpuMs()
{
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return double(now.tv_sec) * 1e3 + double(now.tv_nsec) / 1e6;
}

double timeFrames(QCustomPlot *plot, int count)
{
    std::vector<double> frames;
    for (int i = 0; i < count; ++i) {
        QElapsedTimer clock;
        clock.start();
        plot->replot(QCustomPlot::rpImmediateRefresh);
        frames.push_back(double(clock.nsecsElapsed()) / 1e6);
    }
    return median(frames);
}

void SlowEvents::start()
{
    events_.clear();
    recording_ = true;
}

void SlowEvents::add(double ms, QObject *receiver, QEvent *event)
{
    if (ms < kShownFromMs)
        return;
    events_.push_back({ms, describe(receiver, event)});
    std::sort(events_.begin(), events_.end(), [](const Event &a, const Event &b) { return a.ms > b.ms; });
    if (events_.size() > kKept)
        events_.pop_back();
}

void SlowEvents::print() const
{
    if (events_.empty()) {
        std::printf("    no single GUI-thread event took %.0f ms or more\n", kShownFromMs);
        return;
    }
    std::printf("    longest GUI-thread events:");
    for (const auto &event : events_)
        std::printf(" %.1f ms %s;", event.ms, qPrintable(event.what));
    std::printf("\n");
}

QString SlowEvents::describe(QObject *receiver, QEvent *event)
{
    QStringList chain;
    for (QObject *object = receiver; object != nullptr && chain.size() < 3; object = object->parent()) {
        QString name = QString::fromLatin1(object->metaObject()->className());
        if (!object->objectName().isEmpty())
            name += QStringLiteral(" \"%1\"").arg(object->objectName());
        chain << name;
    }
    const char *type = QMetaEnum::fromType<QEvent::Type>().valueToKey(event->type());
    return QStringLiteral("%1 %2").arg(chain.join(QStringLiteral(" < ")),
                                       type != nullptr ? QString::fromLatin1(type) : QString::number(event->type()));
}

SlowEvents &slowEvents()
{
    static SlowEvents events;
    return events;
}

bool TimedApplication::notify(QObject *receiver, QEvent *event)
{
    if (!slowEvents().recording() || depth_ > 0 || QThread::currentThread() != thread())
        return QApplication::notify(receiver, event);
    ++depth_;
    QElapsedTimer clock;
    clock.start();
    const bool handled = QApplication::notify(receiver, event);
    --depth_;
    slowEvents().add(double(clock.nsecsElapsed()) / 1e6, receiver, event);
    return handled;
}

Heartbeat::Heartbeat()
{
    ticker_.setTimerType(Qt::PreciseTimer);
    QObject::connect(&ticker_, &QTimer::timeout, [this] {
        const qint64 now = clock_.nsecsElapsed();
        const double cpu = threadCpuMs();
        const double gap = double(now - last_) / 1e6;
        if (gap > longest_) {
            longest_ = gap;
            longestCpuMs_ = cpu - lastCpuMs_;
        }
        last_ = now;
        lastCpuMs_ = cpu;
    });
}

double Heartbeat::during(const std::function<void()> &start, const std::function<bool()> &busy)
{
    longest_ = 0.0;
    longestCpuMs_ = 0.0;
    clock_.start();
    last_ = 0;
    lastCpuMs_ = threadCpuMs();
    slowEvents().start();
    ticker_.start(5);
    start();
    // One tick period keeps the event loop turning; the condition ends it.
    while (busy())
        QTest::qWait(5);
    QTest::qWait(20); // the last results are drawn (queued replots, paint events)
    ticker_.stop();
    slowEvents().stop();
    return longest_;
}

void Heartbeat::printCpu() const
{
    std::printf("    in the longest gap the GUI thread ran %.1f ms on a CPU\n", longestCpuMs_);
}

} // namespace lwb::bench_gui
