// storage_record_child: a training process stand-in for the crash tests.
//
//   storage_record_child DB NAME STEPS PAUSE_US
//
// Records STEPS steps (two routed layers each) through a RunRecorder with a
// 20 ms flush interval, sleeping PAUSE_US microseconds between steps. Prints
// "run ID" once, then "flushed STEP" after every committed flush (so a parent
// knows what must survive a kill), and "done" at the end. Exits 1 with the
// error on stderr if the recorder reported any storage error.
#include "store_test_support.h"

#include "storage/run_recorder.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

int main(int argc, char **argv)
{
    if (argc != 5) {
        std::cerr << "usage: storage_record_child DB NAME STEPS PAUSE_US\n";
        return 2;
    }
    const std::string path = argv[1];
    const std::string name = argv[2];
    const std::int64_t steps = std::stoll(argv[3]);
    const auto pause = std::chrono::microseconds(std::stoll(argv[4]));
    try {
        lwb::storage::RecorderOptions options;
        options.flushInterval = std::chrono::milliseconds(20);
        options.onFlushed = [](std::int64_t step) {
            std::printf("flushed %lld\n", static_cast<long long>(step));
            std::fflush(stdout);
        };
        lwb::storage::RunRecorder recorder(path, options);
        recorder.onRunStarted(lwb::storage::test::makeRunInfo(name));
        std::printf("run %lld\n", static_cast<long long>(recorder.runId()));
        std::fflush(stdout);
        for (std::int64_t step = 1; step <= steps; ++step) {
            recorder.onStep(lwb::storage::test::makeStep(step, 2));
            if (pause.count() > 0)
                std::this_thread::sleep_for(pause);
        }
        recorder.onRunFinished(lwb::RunOutcome::Finished, "");
        if (recorder.error()) {
            std::cerr << *recorder.error() << '\n';
            return 1;
        }
        if (recorder.droppedSamples() > 0) {
            std::cerr << "dropped " << recorder.droppedSamples() << " samples\n";
            return 1;
        }
        std::printf("done\n");
        return 0;
    } catch (const std::exception &error) {
        std::cerr << error.what() << '\n';
        return 1;
    }
}
