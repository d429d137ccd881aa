// Data-parallel training on c10d (engine/dist, Trainer with a Communicator),
// on loopback with Gloo. The suite starts its own ranks: this executable run
// as `test_data_parallel --rank-worker CONFIG OUT` is one rank (its place from
// the environment, as torchrun sets it), writing each step's loss and a
// digest of its trainable parameters, and its final parameters.
//
// What must hold (engine/dist/README.md):
//  - LoRA without dropout: 2 ranks compute the single-process run (same
//    global batch): losses and parameters equal to float tolerance.
//  - Every variant: the ranks' trainable parameters are bitwise identical
//    after every step (SiRA included, whose capacity and expert dropout are
//    per rank by design, so it is not compared with one process).
//  - The gradient all-reduce overlapped with the backward (GradientSync with
//    overlap, training.overlap_grad_sync) gives bitwise the parameters of
//    the all-reduce after the backward, with and without accumulation, and
//    its buckets really start while the backward runs (`--sync-worker`:
//    GradientSync alone on a few tensors, against sums computed locally).
//  - A rank killed mid-run makes the other exit non-zero, naming it.
//  - Rendezvous mistakes are clear errors: a port in use, no master, a
//    mismatched WORLD_SIZE.
#include "engine/config/run_config.h"
#include "engine/core/error.h"
#include "engine/core/seed_mix.h"
#include "engine/dist/communicator.h"
#include "engine/dist/dist_environment.h"
#include "engine/dist/gradient_sync.h"
#include "engine/model/causal_lm.h"
#include "engine/train/trainer.h"

#include <QCoreApplication>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <map>

namespace {

// ---- the rank worker ------------------------------------------------------

class StepRecorder : public lwb::TrainObserver
{
public:
    explicit StepRecorder(const lwb::Trainer &trainer)
        : trainer_(trainer)
    {
    }

    void onStep(const lwb::StepMetrics &metrics) override
    {
        std::uint64_t digest = lwb::kFnv1aOffsetBasis;
        for (const auto &parameter : trainer_.model()->parameters()) {
            if (!parameter.requires_grad())
                continue;
            const auto data = parameter.detach().to(torch::kCPU).contiguous();
            digest = lwb::fnv1a64({static_cast<const char *>(data.data_ptr()),
                                   static_cast<std::size_t>(data.numel() * data.element_size())},
                                  digest);
        }
        const auto *sync = trainer_.gradientSync();
        steps.push_back({{"loss", metrics.loss},
                         {"digest", std::to_string(digest)},
                         {"tokens", metrics.tokens},
                         {"rank_rates", metrics.rankTokensPerSecond},
                         {"buckets", sync ? sync->bucketCount() : 0},
                         {"buckets_started_in_backward", sync ? sync->bucketsStartedInBackward() : 0}});
        std::printf("step %lld\n", static_cast<long long>(metrics.step));
        std::fflush(stdout);
    }

    void onEval(const lwb::EvalMetrics &metrics) override
    {
        eval = {{"loss", metrics.loss}, {"tokens", metrics.tokens}, {"exact_match", metrics.exactMatchByTask}};
    }

    nlohmann::json steps = nlohmann::json::array();
    nlohmann::json eval;

private:
    const lwb::Trainer &trainer_;
};

int runRankWorker(const std::string &configPath, const std::string &outPath)
{
    try {
        auto config = lwb::loadRunConfig(configPath);
        const auto env = lwb::readDistEnvironment();
        std::shared_ptr<lwb::Communicator> ranks;
        if (env.distributed())
            ranks = std::make_shared<lwb::Communicator>(env, torch::Device(torch::kCPU),
                                                        std::chrono::seconds(config.training.collectiveTimeoutS));
        lwb::Trainer trainer(std::move(config), ranks);
        StepRecorder recorder(trainer);
        trainer.addObserver(&recorder);
        trainer.run();
        std::vector<torch::Tensor> parameters;
        for (const auto &parameter : trainer.model()->parameters())
            if (parameter.requires_grad())
                parameters.push_back(parameter.detach().clone());
        torch::save(parameters, outPath + ".pt");
        std::ofstream(outPath) << nlohmann::json{{"steps", recorder.steps}, {"eval", recorder.eval}}.dump();
        return 0;
    } catch (const std::exception &error) {
        std::fprintf(stderr, "%s\n", error.what());
        return 1;
    }
}

// ---- the gradient-sync worker ------------------------------------------------

// Six 8x8 weights (256 bytes each). Each term of a micro-batch's loss uses
// one of them; w5 is used by no rank, w4 only by rank 0, w3 only in the
// first of two micro-batches: the presence rules and the unreached
// parameters of the last backward are all exercised.
constexpr int kSyncWeights = 6;

torch::Tensor syncLoss(const std::vector<torch::Tensor> &weights, int rank, int micro)
{
    auto generator = at::detail::createCPUGenerator(static_cast<std::uint64_t>(100 * rank + micro + 1));
    const auto x = torch::randn({4, 8}, generator);
    torch::Tensor loss = torch::zeros({});
    for (int i = 0; i < kSyncWeights; ++i) {
        if (i == 5 || (i == 4 && rank == 1) || (i == 3 && micro == 1))
            continue;
        loss = loss + x.matmul(weights[static_cast<std::size_t>(i)]).tanh().sum() * static_cast<double>(i + 1);
    }
    return loss;
}

std::vector<torch::Tensor> syncWeights()
{
    auto generator = at::detail::createCPUGenerator(7);
    std::vector<torch::Tensor> weights;
    for (int i = 0; i < kSyncWeights; ++i)
        weights.push_back(torch::randn({8, 8}, generator).requires_grad_(true));
    return weights;
}

// One rank's gradients of a step of two micro-batches (undefined: none).
std::vector<torch::Tensor> localGradients(int rank)
{
    auto weights = syncWeights();
    for (int micro = 0; micro < 2; ++micro)
        syncLoss(weights, rank, micro).backward();
    std::vector<torch::Tensor> grads;
    for (const auto &weight : weights)
        grads.push_back(weight.grad());
    return grads;
}

bool sameGradients(const std::vector<torch::Tensor> &a, const std::vector<torch::Tensor> &b)
{
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].defined() != b[i].defined() || (a[i].defined() && !torch::equal(a[i], b[i])))
            return false;
    return true;
}

// GradientSync on two ranks, with and without overlap, against the sum of
// both ranks' gradients computed here (2 ranks: a + b, exact whatever the
// order). Writes what held as JSON.
int runSyncWorker(const std::string &outPath)
{
    try {
        const auto env = lwb::readDistEnvironment();
        lwb::Communicator ranks(env, torch::Device(torch::kCPU), std::chrono::seconds(60));
        const auto rank0 = localGradients(0), rank1 = localGradients(1);
        const auto orZeros = [](const torch::Tensor &grad) { return grad.defined() ? grad : torch::zeros({8, 8}); };
        std::vector<torch::Tensor> expected;
        for (std::size_t i = 0; i < rank0.size(); ++i) {
            if (rank0[i].defined() || rank1[i].defined())
                expected.push_back(orZeros(rank0[i]) + orZeros(rank1[i]));
            else
                expected.emplace_back();
        }
        nlohmann::json report = nlohmann::json::array();
        struct Mode
        {
            bool overlap;
            std::int64_t bucketBytes;
        };
        for (const auto mode :
             {Mode{false, 512}, Mode{true, 512}, Mode{true, lwb::GradientSync::kDefaultBucketBytes}}) {
            auto weights = syncWeights();
            lwb::GradientSync sync(weights, ranks, mode.overlap, mode.bucketBytes);
            // Bytes put into sums during each backward (a sum counts when it starts).
            const auto first = syncLoss(weights, env.rank, 0);
            auto before = ranks.bytesReduced();
            first.backward();
            const bool firstQuiet = ranks.bytesReduced() == before;
            const auto last = syncLoss(weights, env.rank, 1);
            before = ranks.bytesReduced();
            sync.beforeLastBackward(last);
            last.backward();
            const bool lastStarted = ranks.bytesReduced() > before;
            sync.finish();
            std::vector<torch::Tensor> grads;
            for (const auto &weight : weights)
                grads.push_back(weight.grad());
            report.push_back({{"overlap", mode.overlap},
                              {"buckets", sync.bucketCount()},
                              {"started_in_backward", sync.bucketsStartedInBackward()},
                              {"first_micro_batch_quiet", firstQuiet},
                              {"started_before_backward_returned", lastStarted},
                              {"sums_exact", sameGradients(grads, expected)},
                              {"w5_without_grad", !grads[5].defined()},
                              {"w4_with_grad", grads[4].defined()}});
        }
        std::ofstream(outPath) << report.dump();
        return 0;
    } catch (const std::exception &error) {
        std::fprintf(stderr, "%s\n", error.what());
        return 1;
    }
}

// ---- the suite --------------------------------------------------------------

int freePort()
{
    return lwb::freeLoopbackPort("test_data_parallel");
}

// A LoRA adapter section (r 4, alpha 8); extra settings merged in by the caller.
nlohmann::json adapterSection(const std::string &variant, double dropout, const nlohmann::json &extra = {})
{
    nlohmann::json adapter = {{"variant", variant}, {"r", 4}, {"alpha", 8}, {"dropout", dropout}};
    if (extra.is_object())
        adapter.update(extra);
    return adapter;
}

nlohmann::json jobConfig(const nlohmann::json &adapter, std::int64_t steps, const QString &outputDir,
                         std::int64_t timeoutS = 60, const std::string &finalEval = "off")
{
    return {
        {"name", "dp-" + adapter["variant"].get<std::string>()},
        {"seed", 5},
        {"threads", 1},
        {"model", {{"preset", "llama-tiny"}}},
        {"data", {{"eval_examples", 8}}},
        {"adapter", adapter},
        {"training",
         {{"steps", steps},
          {"batch_size", 6},
          {"grad_accum", 2},
          {"warmup_steps", 1},
          {"output_dir", outputDir.toStdString()},
          {"collective_timeout_s", timeoutS}}},
        {"eval", {{"every", 0}, {"batch_size", 4}, {"final", finalEval}}},
    };
}

struct Rank
{
    std::unique_ptr<QProcess> process;
    QString out;
};

class DataParallelTest : public QObject
{
    Q_OBJECT

    QTemporaryDir dir_;

    QString writeConfig(const QString &name, const nlohmann::json &config)
    {
        const auto path = dir_.filePath(name);
        std::ofstream(path.toStdString()) << config.dump(2);
        return path;
    }

    // Starts this executable with `arguments`; env: WORLD_SIZE, RANK, ... (empty: a single process).
    static Rank startProcess(const QStringList &arguments, const QString &out, const std::map<QString, QString> &env)
    {
        Rank rank;
        rank.out = out;
        rank.process = std::make_unique<QProcess>();
        auto environment = QProcessEnvironment::systemEnvironment();
        for (const auto &name : {"WORLD_SIZE", "RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"})
            environment.remove(name);
        for (const auto &[name, value] : env)
            environment.insert(name, value);
        rank.process->setProcessEnvironment(environment);
        rank.process->start(QCoreApplication::applicationFilePath(), arguments);
        return rank;
    }

    // Starts one training worker.
    static Rank startRank(const QString &config, const QString &out, const std::map<QString, QString> &env)
    {
        return startProcess({"--rank-worker", config, out}, out, env);
    }

    static std::map<QString, QString> rankEnvironment(int worldSize, int rank, int port)
    {
        return {{"WORLD_SIZE", QString::number(worldSize)},
                {"RANK", QString::number(rank)},
                {"LOCAL_RANK", QString::number(rank)},
                {"LOCAL_WORLD_SIZE", QString::number(worldSize)},
                {"MASTER_ADDR", "127.0.0.1"},
                {"MASTER_PORT", QString::number(port)}};
    }

    std::vector<Rank> startJob(const QString &config, int worldSize, int port, const QString &tag)
    {
        std::vector<Rank> ranks;
        for (int r = 0; r < worldSize; ++r)
            ranks.push_back(startRank(config, dir_.filePath(tag + "-rank" + QString::number(r) + ".json"),
                                      rankEnvironment(worldSize, r, port)));
        return ranks;
    }

    static void finish(Rank &rank, int timeoutMs = 300000)
    {
        QVERIFY2(rank.process->waitForFinished(timeoutMs), "a rank did not finish");
        const auto errors = rank.process->readAllStandardError();
        QVERIFY2(rank.process->exitStatus() == QProcess::NormalExit && rank.process->exitCode() == 0,
                 errors.constData());
    }

    static nlohmann::json output(const Rank &rank)
    {
        std::ifstream in(rank.out.toStdString());
        return nlohmann::json::parse(in);
    }
    static nlohmann::json steps(const Rank &rank) { return output(rank)["steps"]; }

    static std::vector<torch::Tensor> parameters(const Rank &rank)
    {
        std::vector<torch::Tensor> tensors;
        torch::load(tensors, (rank.out + ".pt").toStdString());
        return tensors;
    }

    // Both ranks' parameters are bitwise identical after every step.
    static void requireRanksInStep(const std::vector<Rank> &ranks, std::int64_t stepCount)
    {
        const auto first = steps(ranks[0]);
        QCOMPARE(static_cast<std::int64_t>(first.size()), stepCount);
        for (std::size_t r = 1; r < ranks.size(); ++r) {
            const auto other = steps(ranks[r]);
            QCOMPARE(other.size(), first.size());
            for (std::size_t s = 0; s < first.size(); ++s) {
                QCOMPARE(other[s]["rank_rates"].size(), ranks.size()); // every rank's throughput, on every rank
                QVERIFY(other[s]["rank_rates"][r].get<double>() > 0.0);
                QCOMPARE(other[s]["digest"].get<std::string>(), first[s]["digest"].get<std::string>());
                QCOMPARE(other[s]["loss"].get<double>(), first[s]["loss"].get<double>());
            }
        }
    }

    // Expects the rank to fail within its timeout with a message holding `expected`.
    static void requireFailure(Rank &rank, const char *expected, int timeoutMs = 90000)
    {
        QVERIFY2(rank.process->waitForFinished(timeoutMs), "the rank did not stop");
        const auto errors = QString::fromUtf8(rank.process->readAllStandardError());
        QVERIFY2(rank.process->exitCode() != 0, qPrintable(errors));
        QVERIFY2(errors.contains(QString::fromUtf8(expected)), qPrintable(errors));
    }

private slots:
    void environmentIsReadAsTorchrunSetsIt()
    {
        std::map<std::string, std::string> vars{{"WORLD_SIZE", "4"},
                                                {"RANK", "3"},
                                                {"LOCAL_RANK", "1"},
                                                {"LOCAL_WORLD_SIZE", "2"},
                                                {"MASTER_ADDR", "10.0.0.1"},
                                                {"MASTER_PORT", "29400"},
                                                {"TORCHELASTIC_USE_AGENT_STORE", "True"},
                                                {"TORCHELASTIC_RESTART_COUNT", "2"}};
        const auto lookup = [&vars](const char *name) -> const char * {
            const auto found = vars.find(name);
            return found == vars.end() ? nullptr : found->second.c_str();
        };
        const auto env = lwb::readDistEnvironment(lookup);
        QCOMPARE(env.rank, 3);
        QCOMPARE(env.worldSize, 4);
        QCOMPARE(env.localRank, 1);
        QCOMPARE(env.localWorldSize, 2);
        QCOMPARE(env.masterAddr, std::string("10.0.0.1"));
        QCOMPARE(env.masterPort, 29400);
        QVERIFY(env.agentStore);
        QCOMPARE(env.restartCount, 2);

        vars["RANK"] = "4";
        try {
            lwb::readDistEnvironment(lookup);
            QFAIL("RANK == WORLD_SIZE was accepted");
        } catch (const lwb::Error &error) {
            QCOMPARE(error.where(), std::string("environment variable RANK"));
        }
        vars["RANK"] = "1";
        vars.erase("MASTER_PORT");
        QVERIFY_THROWS_EXCEPTION(lwb::Error, lwb::readDistEnvironment(lookup));
        vars.clear();
        QVERIFY(!lwb::readDistEnvironment(lookup).distributed());
    }

    void loraOnTwoRanksIsTheSingleProcessRun()
    {
        const std::int64_t stepCount = 4;
        const auto config = writeConfig(
            "lora.json", jobConfig(adapterSection("lora", 0.0), stepCount, dir_.filePath("lora-out"), 60, "full"));
        auto job = startJob(config, 2, freePort(), "lora");
        auto single = startRank(config, dir_.filePath("lora-single.json"), {});
        for (auto &rank : job)
            finish(rank);
        finish(single);
        requireRanksInStep(job, stepCount);

        const auto together = steps(job[0]);
        const auto alone = steps(single);
        for (std::size_t s = 0; s < alone.size(); ++s) {
            const double a = alone[s]["loss"].get<double>(), b = together[s]["loss"].get<double>();
            QVERIFY2(std::abs(a - b) <= 1e-5 * std::abs(a),
                     qPrintable(QString("step %1: %2 vs %3").arg(s + 1).arg(a).arg(b)));
            QCOMPARE(together[s]["tokens"].get<std::int64_t>(), alone[s]["tokens"].get<std::int64_t>());
        }
        // AdamW divides by the root of the second moment: a gradient element
        // near zero whose last bits differ (the ranks' sums add in another
        // order, rows are padded differently) can move its weight by a
        // visible part of one lr step. So parameters agree to 1% of one
        // step's size (lr 3e-3), not to float rounding; the losses above do.
        // The final evaluation, sharded over the ranks and summed: the same
        // tokens and exact-match shares as one process, the loss to the
        // parameters' tolerance.
        const auto evalTogether = output(job[0])["eval"], evalAlone = output(single)["eval"];
        QCOMPARE(evalTogether["tokens"].get<std::int64_t>(), evalAlone["tokens"].get<std::int64_t>());
        QVERIFY(std::abs(evalTogether["loss"].get<double>() - evalAlone["loss"].get<double>())
                <= 1e-4 * evalAlone["loss"].get<double>());
        QCOMPARE(evalTogether["exact_match"].dump(), evalAlone["exact_match"].dump());
        QVERIFY(!evalAlone["exact_match"].empty());
        const auto p2 = parameters(job[0]), p1 = parameters(single);
        QCOMPARE(p2.size(), p1.size());
        for (std::size_t i = 0; i < p1.size(); ++i)
            QVERIFY2(
                torch::allclose(p2[i], p1[i], 1e-4, 3e-5),
                qPrintable(
                    QString("parameter %1: max difference %2").arg(i).arg((p2[i] - p1[i]).abs().max().item<double>())));
    }

    void gradientSyncOverlapsAndKeepsTheSums()
    {
        const int port = freePort();
        std::vector<Rank> ranks;
        for (int r = 0; r < 2; ++r) {
            const auto out = dir_.filePath("sync-rank" + QString::number(r) + ".json");
            ranks.push_back(startProcess({"--sync-worker", out}, out, rankEnvironment(2, r, port)));
        }
        for (auto &rank : ranks)
            finish(rank);
        for (const auto &rank : ranks) {
            const auto modes = output(rank);
            QCOMPARE(modes.size(), std::size_t(3));
            for (const auto &mode : modes) {
                QVERIFY2(mode["sums_exact"].get<bool>(), mode.dump().c_str());
                QVERIFY(mode["w5_without_grad"].get<bool>()); // no rank used it
                QVERIFY(mode["w4_with_grad"].get<bool>());    // rank 0's, on rank 1 too
                QVERIFY(mode["first_micro_batch_quiet"].get<bool>());
                const bool overlap = mode["overlap"].get<bool>();
                QCOMPARE(mode["started_before_backward_returned"].get<bool>(), overlap);
                QCOMPARE(mode["started_in_backward"].get<std::int64_t>(),
                         overlap ? mode["buckets"].get<std::int64_t>() : 0);
            }
            // 512-byte buckets hold two weights each; 25 MiB all six.
            QCOMPARE(modes[0]["buckets"].get<std::int64_t>(), std::int64_t(3));
            QCOMPARE(modes[1]["buckets"].get<std::int64_t>(), std::int64_t(3));
            QCOMPARE(modes[2]["buckets"].get<std::int64_t>(), std::int64_t(1));
        }
    }

    void overlappedSyncIsBitwiseTheAfterBackwardOne()
    {
        const std::int64_t stepCount = 3;
        for (const std::int64_t accum : {2, 1}) {
            std::vector<std::vector<Rank>> jobs;
            int lastPort = 0;
            for (const bool overlap : {true, false}) {
                auto config = jobConfig(adapterSection("lora", 0.1), stepCount,
                                        dir_.filePath(QString("overlap-%1-%2-out").arg(accum).arg(overlap)));
                config["training"]["grad_accum"] = accum;
                config["training"]["overlap_grad_sync"] = overlap;
                const auto tag = QString("overlap-%1-%2").arg(accum).arg(overlap);
                int port = freePort();
                while (port == lastPort)
                    port = freePort();
                lastPort = port;
                jobs.push_back(startJob(writeConfig(tag + ".json", config), 2, port, tag));
            }
            for (auto &job : jobs)
                for (auto &rank : job)
                    finish(rank);
            for (const auto &job : jobs)
                requireRanksInStep(job, stepCount);
            const auto on = steps(jobs[0][0]), off = steps(jobs[1][0]);
            for (std::size_t s = 0; s < on.size(); ++s) {
                QCOMPARE(on[s]["digest"].get<std::string>(), off[s]["digest"].get<std::string>());
                QCOMPARE(on[s]["loss"].get<double>(), off[s]["loss"].get<double>());
                QVERIFY(on[s]["buckets"].get<std::int64_t>() > 0);
                QCOMPARE(on[s]["buckets_started_in_backward"].get<std::int64_t>(),
                         on[s]["buckets"].get<std::int64_t>());
                QCOMPARE(off[s]["buckets_started_in_backward"].get<std::int64_t>(), std::int64_t(0));
            }
        }
    }

    void siraRanksStayIdentical()
    {
        const std::int64_t stepCount = 3;
        auto job = jobConfig(adapterSection("sira", 0.1, {{"sira", {{"experts", 4}, {"top_k", 2}}}}), stepCount,
                             dir_.filePath("sira-out"));
        job["training"]["overlap_grad_sync"] = true;
        auto ranks = startJob(writeConfig("sira.json", job), 2, freePort(), "sira");
        for (auto &rank : ranks)
            finish(rank);
        requireRanksInStep(ranks, stepCount);
        for (const auto &step : steps(ranks[0]))
            QVERIFY(step["buckets_started_in_backward"].get<std::int64_t>() > 0);
    }

    void aKilledRankStopsTheOther()
    {
        const auto config
            = writeConfig("long.json", jobConfig(adapterSection("lora", 0.0), 10000, dir_.filePath("long-out"), 20));
        auto job = startJob(config, 2, freePort(), "long");
        // Rank 1 is killed once it has finished a step (both are then in the job).
        auto &victim = *job[1].process;
        while (!victim.readAllStandardOutput().contains("step 1"))
            QVERIFY2(victim.waitForReadyRead(120000), "rank 1 never finished a step");
        victim.kill();
        victim.waitForFinished();
        requireFailure(job[0], "rank(s) 1 stopped answering");
    }

    void rendezvousMistakesAreClearErrors()
    {
        const auto config
            = writeConfig("quick.json", jobConfig(adapterSection("lora", 0.0), 1, dir_.filePath("quick-out"), 4));
        // A port in use: rank 0 cannot host the store there.
        const int busy = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        QCOMPARE(::bind(busy, reinterpret_cast<sockaddr *>(&address), sizeof address), 0);
        QCOMPARE(::listen(busy, 1), 0);
        socklen_t length = sizeof address;
        ::getsockname(busy, reinterpret_cast<sockaddr *>(&address), &length);
        auto taken = startJob(config, 2, ntohs(address.sin_port), "taken");
        requireFailure(taken[0], "cannot host the rendezvous store");
        taken[1].process->kill();
        taken[1].process->waitForFinished();
        ::close(busy);

        // No master: rank 1 alone.
        auto alone = startRank(config, dir_.filePath("alone.json"),
                               {{"WORLD_SIZE", "2"},
                                {"RANK", "1"},
                                {"MASTER_ADDR", "127.0.0.1"},
                                {"MASTER_PORT", QString::number(freePort())}});
        requireFailure(alone, "cannot reach the rendezvous store");

        // Mismatched world sizes.
        const int port = freePort();
        auto rank0 = startRank(
            config, dir_.filePath("mismatch0.json"),
            {{"WORLD_SIZE", "2"}, {"RANK", "0"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", QString::number(port)}});
        auto rank1 = startRank(
            config, dir_.filePath("mismatch1.json"),
            {{"WORLD_SIZE", "3"}, {"RANK", "1"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", QString::number(port)}});
        requireFailure(rank1, "WORLD_SIZE");
        requireFailure(rank0, "WORLD_SIZE");
    }
};

} // namespace

int main(int argc, char **argv)
{
    if (argc == 4 && std::string(argv[1]) == "--rank-worker")
        return runRankWorker(argv[2], argv[3]);
    if (argc == 3 && std::string(argv[1]) == "--sync-worker")
        return runSyncWorker(argv[2]);
    QCoreApplication app(argc, argv);
    DataParallelTest test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_data_parallel.moc"
