// Benchmark: data-parallel training (engine/dist) on this machine, 1 rank
// against 2 Gloo ranks on loopback, in one run; the 2-rank job twice, with
// the gradient all-reduce overlapped with the backward
// (training.overlap_grad_sync true) and after it (false). Prints each rank's
// steps/s and tokens/s (of the whole job's batch), the bytes each rank put
// into all-reduces and broadcasts per step, and how many gradient buckets a
// step has and how many of them started during the backward. Asserts nothing.
//
//   bench_data_parallel [CONFIG.json] [STEPS]      (default: the shipped default run, 20 steps)
//
// Every measurement runs in a child process (this executable with
// --rank-worker), so the ranks start alike; the 1-rank job uses every
// hardware thread, each of 2 ranks half of them (Trainer's split), so on a
// 2-core machine no speed-up is expected: the figure is the overhead.
#include "engine/config/run_config.h"
#include "engine/core/runtime.h"
#include "engine/dist/communicator.h"
#include "engine/dist/dist_environment.h"
#include "engine/dist/gradient_sync.h"
#include "engine/train/trainer.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

namespace {

constexpr std::int64_t kWarmupSteps = 3; // allocator, OpenMP pool, first collectives

double seconds()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

class StepClock : public lwb::TrainObserver
{
public:
    explicit StepClock(const lwb::Communicator *ranks)
        : ranks_(ranks)
    {
    }

    void onStep(const lwb::StepMetrics &m) override
    {
        if (m.step == kWarmupSteps) {
            start_ = seconds();
            startTokens_ = m.tokens;
            startBytes_ = ranks_ ? ranks_->bytesReduced() : 0;
        }
        last_ = seconds();
        lastTokens_ = m.tokens;
        lastStep_ = m.step;
        lastBytes_ = ranks_ ? ranks_->bytesReduced() : 0;
    }

    nlohmann::json figures(int rank) const
    {
        const double elapsed = last_ - start_;
        const auto steps = static_cast<double>(lastStep_ - kWarmupSteps);
        return {{"rank", rank},
                {"steps_per_s", steps / elapsed},
                {"tokens_per_s", static_cast<double>(lastTokens_ - startTokens_) / elapsed},
                {"bytes_per_step", static_cast<double>(lastBytes_ - startBytes_) / steps}};
    }

private:
    const lwb::Communicator *ranks_;
    double start_ = 0, last_ = 0;
    std::int64_t startTokens_ = 0, lastTokens_ = 0, lastStep_ = 0, startBytes_ = 0, lastBytes_ = 0;
};

int rankWorker(const std::string &configPath, std::int64_t steps, int threads, bool overlap, const std::string &out)
{
    auto config = lwb::loadRunConfig(configPath);
    config.training.overlapGradSync = overlap;
    config.training.steps = steps;
    config.training.warmupSteps = std::min(config.training.warmupSteps, steps);
    config.eval.every = 0;
    config.eval.final = "off";
    config.threads = threads; // 0: the trainer splits the machine between local ranks
    config.training.outputDir = (std::filesystem::temp_directory_path() / "lwb-bench-dp").string();
    const auto env = lwb::readDistEnvironment();
    std::shared_ptr<lwb::Communicator> ranks;
    if (env.distributed())
        ranks = std::make_shared<lwb::Communicator>(env, torch::Device(torch::kCPU), std::chrono::seconds(300));
    lwb::Trainer trainer(std::move(config), ranks);
    StepClock clock(ranks.get());
    trainer.addObserver(&clock);
    trainer.run();
    auto figures = clock.figures(env.rank);
    const auto *sync = trainer.gradientSync();
    figures["buckets"] = sync ? sync->bucketCount() : 0;
    figures["buckets_in_backward"] = sync ? sync->bucketsStartedInBackward() : 0;
    std::ofstream(out) << figures.dump() << "\n";
    return 0;
}

// Runs `ranks` workers (no rank environment for 1) and returns their figures.
std::vector<nlohmann::json> runJob(const char *self, const std::string &config, std::int64_t steps, int ranks,
                                   int threads, bool overlap, int port)
{
    std::vector<pid_t> children;
    std::vector<std::string> outs;
    for (int rank = 0; rank < ranks; ++rank) {
        outs.push_back((std::filesystem::temp_directory_path()
                        / ("lwb-bench-dp-" + std::to_string(ranks) + "-" + std::to_string(rank) + ".json"))
                           .string());
        const pid_t child = ::fork();
        if (child == 0) {
            if (ranks > 1) {
                ::setenv("WORLD_SIZE", std::to_string(ranks).c_str(), 1);
                ::setenv("RANK", std::to_string(rank).c_str(), 1);
                ::setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
                ::setenv("LOCAL_WORLD_SIZE", std::to_string(ranks).c_str(), 1);
                ::setenv("MASTER_ADDR", "127.0.0.1", 1);
                ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
            }
            const auto stepText = std::to_string(steps), threadText = std::to_string(threads);
            ::execl(self, self, "--rank-worker", config.c_str(), stepText.c_str(), threadText.c_str(),
                    overlap ? "1" : "0", outs.back().c_str(), nullptr);
            std::_Exit(127);
        }
        children.push_back(child);
    }
    std::vector<nlohmann::json> figures;
    for (std::size_t i = 0; i < children.size(); ++i) {
        int status = 0;
        ::waitpid(children[i], &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            std::fprintf(stderr, "rank %zu of %d failed\n", i, ranks);
            std::exit(1);
        }
        std::ifstream in(outs[i]);
        figures.push_back(nlohmann::json::parse(in));
    }
    return figures;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc == 7 && std::string(argv[1]) == "--rank-worker")
        return rankWorker(argv[2], std::stoll(argv[3]), std::stoi(argv[4]), std::string(argv[5]) == "1", argv[6]);
    const std::string config = argc > 1 && *argv[1] ? argv[1] : LWB_DEFAULT_CONFIG;
    const std::int64_t steps = argc > 2 ? std::stoll(argv[2]) : 20;
    std::printf("%s\nconfig %s, %lld steps (first %lld not timed), %u hardware threads, Gloo on loopback\n",
                lwb::versionLine("bench_data_parallel").c_str(), config.c_str(), static_cast<long long>(steps),
                static_cast<long long>(kWarmupSteps), std::thread::hardware_concurrency());
    std::printf("%-40s %-5s %10s %12s %18s %8s %12s\n", "job", "rank", "steps/s", "tokens/s", "all-reduce B/step",
                "buckets", "in backward");
    const int hardware = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    struct Job
    {
        int ranks, threads;
        bool overlap;
    };
    std::vector<double> rates;
    int port = 29000 + static_cast<int>(::getpid() % 1000);
    for (const auto job : {Job{1, hardware, true}, Job{1, 1, true}, Job{2, 0, true}, Job{2, 0, false}}) {
        const auto figures = runJob(argv[0], config, steps, job.ranks, job.threads, job.overlap, port++);
        char label[80];
        std::snprintf(label, sizeof label, "%d rank(s) x %d thread(s)%s", job.ranks,
                      job.threads > 0 ? job.threads : std::max(1, hardware / job.ranks),
                      job.ranks == 1 ? "" : (job.overlap ? ", overlap" : ", after backward"));
        for (const auto &rank : figures)
            std::printf("%-40s %-5d %10.2f %12.0f %18.0f %8lld %12lld\n", label, rank["rank"].get<int>(),
                        rank["steps_per_s"].get<double>(), rank["tokens_per_s"].get<double>(),
                        rank["bytes_per_step"].get<double>(), rank["buckets"].get<long long>(),
                        rank["buckets_in_backward"].get<long long>());
        rates.push_back(figures.front()["tokens_per_s"].get<double>());
    }
    std::printf("2 ranks (overlap) against 1 rank on every thread: %.2fx; against 1 rank on 1 thread: %.2fx\n",
                rates[2] / rates[0], rates[2] / rates[1]);
    std::printf("2 ranks, overlap against after backward: %.2fx\n", rates[2] / rates[3]);
    return 0;
}
