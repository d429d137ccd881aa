// Benchmark: SiRA's routing alone, host loops against tensor ops, on the CPU
// (engine/adapters/sira_routing.h). Prints figures; asserts nothing.
//
//   bench_sira_routing [REPEATS]
//
// One layer's routing of a micro-batch as training runs it (softmax, top-k,
// capacity 1.25, expert dropout 0.1, gates, balance loss, figures) forward
// and backward, E = 8, k = 2, float32, for a few token counts; each path
// timed as the fastest of REPEATS runs of 20 passes, the two interleaved so
// they see the same machine load. Both paths give the same bits on the CPU
// (test_sira_routing_ops); the question here is which is faster where the
// host loops cost no device synchronisation: `routing_path: auto` takes
// the host loops on the CPU.
#include "engine/adapters/sira_routing.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace {

double passSeconds(lwb::SiraRoutingPath path, const torch::Tensor &logits, const torch::Tensor &real)
{
    lwb::SiraRoutingOptions options;
    options.expertDropout = 0.1;
    options.path = path;
    constexpr int kPasses = 20;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kPasses; ++i) {
        const auto input = logits.detach().requires_grad_(true);
        const auto routing = lwb::routeTokens(input, real, 1, options, /*training=*/true);
        (routing.expertGates.sum() + routing.balanceLoss).backward();
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / kPasses;
}

} // namespace

int main(int argc, char **argv)
{
    const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 10;
    torch::manual_seed(1);
    std::printf("SiRA routing per layer pass (forward + backward), E=8 k=2 float32, %d threads, fastest of %d:\n",
                torch::get_num_threads(), repeats);
    std::printf("  %8s %12s %12s %8s\n", "tokens", "host us", "tensor us", "ratio");
    for (const std::int64_t tokens : {128, 512, 2048}) {
        const auto logits = torch::randn({tokens, 8});
        const auto real = torch::ones({tokens}, torch::kBool);
        double host = 1e30, tensor = 1e30;
        for (int r = 0; r < repeats; ++r) {
            host = std::min(host, passSeconds(lwb::SiraRoutingPath::Host, logits, real));
            tensor = std::min(tensor, passSeconds(lwb::SiraRoutingPath::Tensor, logits, real));
        }
        std::printf("  %8lld %12.1f %12.1f %8.2f\n", static_cast<long long>(tokens), host * 1e6, tensor * 1e6,
                    tensor / host);
    }
    return 0;
}
