// The long runs of the compare view's tests (long_run_store_fixture.h).
#include "long_run_store_fixture.h"

#include "storage/metric_samples.h"
#include "storage/run_store.h"
#include "storage/sample_writer.h"

#include <nlohmann/json.hpp>

#include <string>

namespace lwb::ui::test {

QVector<qint64> writeLongRuns(const QString &storePath, const LongRunsSpec &spec)
{
    lwb::storage::RunStore store(storePath.toStdString());
    lwb::storage::SampleWriter writer(store.database());
    QVector<qint64> ids;
    for (int r = 0; r < spec.runs; ++r) {
        lwb::storage::NewRun run;
        run.name = "long-" + std::to_string(r);
        run.variant = "lora";
        run.configJson = nlohmann::json{{"training", {{"lr", 1e-3 * (r + 1)}}}}.dump();
        ids << store.createRun(run);
        lwb::storage::SampleBatch batch;
        for (int step = 1; step <= spec.steps; ++step) {
            lwb::StepMetrics metrics;
            metrics.step = step;
            metrics.loss = spec.loss(r, step);
            metrics.tokens = std::int64_t(step) * spec.tokensPerStep;
            metrics.wallSeconds = spec.wallSecondsPerStep * step;
            lwb::storage::appendSamples(metrics, batch);
        }
        lwb::storage::Transaction transaction(store.database());
        writer.write(ids.back(), batch);
        transaction.commit();
    }
    return ids;
}

} // namespace lwb::ui::test
