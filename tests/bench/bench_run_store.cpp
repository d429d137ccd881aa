// bench_run_store: the run store's two figures that matter (issue 3), printed,
// never asserted:
//   ingest   samples per second through SampleWriter in 4096-sample
//            batches, one transaction each (rollups included), and through a RunRecorder fed as fast as it takes
//            (target >= 200k samples/s);
//   read     one 1M-sample series read back downsampled to 2000 points
//            (target < 200 ms), and read whole for comparison.
//
//   bench_run_store [DB_PATH] [SAMPLES]   (default: a file in /tmp, 1,000,000)
#include "storage/metric_reader.h"
#include "storage/run_recorder.h"
#include "storage/run_store.h"
#include "storage/sample_writer.h"
#include "storage/sqlite_database.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <unistd.h>

using namespace lwb::storage;
using Clock = std::chrono::steady_clock;

namespace {

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

void removeDatabase(const std::string &path)
{
    for (const char *suffix : {"", "-wal", "-shm"})
        std::filesystem::remove(path + suffix);
}

} // namespace

int main(int argc, char **argv)
{
    const std::string path = argc > 1 ? argv[1] : "/tmp/lwb-storage-bench-" + std::to_string(::getpid()) + ".db";
    const std::int64_t samples = argc > 2 ? std::stoll(argv[2]) : 1000000;
    removeDatabase(path);
    try {
        RunStore store(path);
        NewRun run;
        run.name = "bench";
        const std::int64_t runId = store.createRun(run);

        // 1. SampleWriter, one transaction per 4096 samples (what a flush does).
        {
            SampleWriter writer(store.database());
            const auto start = Clock::now();
            std::int64_t step = 0;
            SampleBatch batch;
            while (step < samples) {
                batch.clear();
                for (int i = 0; i < 4096 && step < samples; ++i, ++step)
                    batch.scalars.push_back(ScalarSample{"train/loss", step, 1.0 / double(step + 1), 0.001 * step});
                Transaction transaction(store.database());
                writer.write(runId, batch);
                transaction.commit();
            }
            const double seconds = secondsSince(start);
            std::printf("ingest (SampleWriter, 4096/transaction): %lld samples in %.3f s = %.0f samples/s\n",
                        static_cast<long long>(samples), seconds, double(samples) / seconds);
        }

        // 2. The same series read back.
        {
            MetricReader reader(store);
            SeriesQuery query;
            query.maxPoints = 2000;
            reader.scalarSeries(runId, "train/loss", query); // warm the page cache
            auto start = Clock::now();
            const auto points = reader.scalarSeries(runId, "train/loss", query);
            std::printf("read %lld-sample series downsampled to %zu points: %.1f ms\n", static_cast<long long>(samples),
                        points.size(), 1000.0 * secondsSince(start));
            start = Clock::now();
            const auto all = reader.scalarSeries(runId, "train/loss");
            std::printf("read the whole series (%zu points): %.1f ms\n", all.size(), 1000.0 * secondsSince(start));
        }

        // 3. RunRecorder end to end: steps of 5 scalar samples plus 4 routed layers.
        {
            RecorderOptions options;
            options.queueCapacity = std::size_t(samples) + 1; // measure the writer, not the drop policy
            RunRecorder recorder(path, options);
            lwb::RunInfo info;
            info.name = "bench recorder";
            recorder.onRunStarted(info);
            lwb::StepMetrics metrics;
            for (int layer = 0; layer < 4; ++layer) {
                lwb::LayerRoutingStats stats;
                stats.layer = "model.layers." + std::to_string(layer) + ".mlp";
                stats.expertLoad = {0.25f, 0.25f, 0.25f, 0.25f};
                stats.routedTokens = 100;
                metrics.adapter.layers.push_back(stats);
            }
            const std::size_t perStep = sampleCount(metrics);
            const std::int64_t steps = samples / std::int64_t(perStep);
            const auto start = Clock::now();
            for (std::int64_t step = 1; step <= steps; ++step) {
                metrics.step = step;
                metrics.loss = 1.0 / double(step);
                recorder.onStep(metrics);
            }
            const double queued = secondsSince(start);
            recorder.onRunFinished(lwb::RunOutcome::Finished, "");
            const double seconds = secondsSince(start);
            std::printf("ingest (RunRecorder, %zu samples/step): %lld samples written in %.3f s = %.0f samples/s "
                        "(%lld dropped; onStep took %.2f us on average)\n",
                        perStep, static_cast<long long>(recorder.writtenSamples()), seconds,
                        double(recorder.writtenSamples()) / seconds, static_cast<long long>(recorder.droppedSamples()),
                        1e6 * queued / double(steps));
        }
    } catch (const std::exception &error) {
        std::fprintf(stderr, "bench_run_store: %s\n", error.what());
        removeDatabase(path);
        return 1;
    }
    removeDatabase(path);
    return 0;
}
