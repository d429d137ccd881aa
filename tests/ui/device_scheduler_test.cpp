// The per-device queue rule (ui/device_scheduler.h) on plain values: a job
// for a free device starts even behind jobs that wait for a busy one, a
// second job for the same device waits, each device keeps its queue order,
// "cuda" is "cuda:0", and two GPUs are two devices.
#include "ui/device_scheduler.h"

#include <QtTest>

using lwb::ui::deviceKey;
using lwb::ui::jobsToStart;

using Indices = std::vector<std::size_t>;

class DeviceSchedulerTest : public QObject
{
    Q_OBJECT

private slots:
    void cudaMeansTheFirstGpu()
    {
        QCOMPARE(deviceKey("cuda"), std::string("cuda:0"));
        QCOMPARE(deviceKey("cuda:0"), std::string("cuda:0"));
        QCOMPARE(deviceKey("cuda:1"), std::string("cuda:1"));
        QCOMPARE(deviceKey("cpu"), std::string("cpu"));
    }

    void aGpuJobStartsBesideABusyCpuWhileASecondCpuJobWaits()
    {
        // Queue: cpu, cuda:0, cpu; the CPU already trains a job.
        QCOMPARE(jobsToStart({"cpu", "cuda:0", "cpu"}, {"cpu"}), (Indices{1}));
    }

    void nothingBusyStartsTheFirstJobOfEachDevice()
    {
        QCOMPARE(jobsToStart({"cpu", "cpu", "cuda:0", "cuda:0", "cuda:1"}, {}), (Indices{0, 2, 4}));
    }

    void eachDeviceKeepsItsQueueOrder()
    {
        // The CPU is free again: the earliest CPU job starts, not a later one.
        QCOMPARE(jobsToStart({"cuda:0", "cpu", "cuda:0", "cpu"}, {"cuda:0"}), (Indices{1}));
        QCOMPARE(jobsToStart({"cuda:0", "cpu", "cuda:0", "cpu"}, {"cpu"}), (Indices{0}));
    }

    void cudaAndCuda0AreOneDevice()
    {
        QCOMPARE(jobsToStart({"cuda", "cuda:0"}, {}), (Indices{0}));
        QCOMPARE(jobsToStart({"cuda"}, {"cuda:0"}), Indices{});
        QCOMPARE(jobsToStart({"cuda:0", "cpu"}, {deviceKey("cuda")}), (Indices{1}));
    }

    void twoGpusAreIndependent()
    {
        QCOMPARE(jobsToStart({"cuda:0", "cuda:1"}, {"cuda:0"}), (Indices{1}));
        QCOMPARE(jobsToStart({"cuda:1", "cuda:0"}, {"cuda:1"}), (Indices{1}));
    }

    void everyDeviceBusyStartsNothing()
    {
        QCOMPARE(jobsToStart({"cpu", "cuda:0"}, {"cpu", "cuda:0"}), Indices{});
        QCOMPARE(jobsToStart({}, {}), Indices{});
    }
};

QTEST_APPLESS_MAIN(DeviceSchedulerTest)
#include "device_scheduler_test.moc"
