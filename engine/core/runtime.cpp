// See runtime.h.
#include "engine/core/runtime.h"

#include "engine/core/error.h"

#include <torch/cuda.h>
#include <torch/version.h>

// A CUDA LibTorch (the pinned wheel) ships c10_cuda's headers; a CPU-only one does not.
#if __has_include(<c10/cuda/CUDACachingAllocator.h>)
#include <c10/cuda/CUDACachingAllocator.h>
#define LWB_CUDA_ALLOCATOR_STATS 1
#endif

#include <fstream>
#include <sstream>
#include <thread>

namespace lwb {

int configureThreads(int requested)
{
    int threads = requested;
    if (threads <= 0)
        threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    torch::set_num_threads(threads);
    return threads;
}

torch::Device parseDevice(const std::string &text)
{
    if (text == "cpu")
        return torch::Device(torch::kCPU);
    if (text == "cuda" || text.rfind("cuda:", 0) == 0) {
        if (!torch::cuda::is_available())
            throw Error("device \"" + text + "\"",
                        "CUDA is not available (this LibTorch is CPU-only or no GPU is visible)");
        int index = 0;
        if (text.size() > 5) {
            try {
                std::size_t used = 0;
                index = std::stoi(text.substr(5), &used);
                if (used != text.size() - 5)
                    throw std::invalid_argument("trailing characters");
            } catch (const std::exception &) {
                throw Error("device \"" + text + "\"", "expected cuda:N with N a GPU index");
            }
        }
        // c10::DeviceIndex is int8_t, a GPU count and not a character, so the
        // check's worry (a char above 127 read as negative) does not apply.
        const auto count = static_cast<int>(torch::cuda::device_count()); // NOLINT(bugprone-signed-char-misuse)
        if (index < 0 || index >= count)
            throw Error("device \"" + text + "\"",
                        "GPU index out of range: this machine has " + std::to_string(count) + " GPU(s)");
        return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
    }
    throw Error("device \"" + text + "\"", "expected \"cpu\", \"cuda\" or \"cuda:N\"");
}

std::int64_t peakMemoryBytes(const torch::Device &device)
{
#ifdef LWB_CUDA_ALLOCATOR_STATS
    // On a GPU the tensors live in the caching allocator's pools: its peak of
    // allocated bytes is what torch.cuda.max_memory_allocated() reports.
    if (device.is_cuda() && torch::cuda::is_available()) {
        const auto index = device.has_index() ? device.index() : c10::DeviceIndex{0};
        const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(index);
        return stats.allocated_bytes[0].peak; // [0]: StatType::AGGREGATE, every pool
    }
#endif
    // The resident high-water mark is what a CPU run costs.
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) {
            std::istringstream fields(line.substr(6));
            std::int64_t kib = 0;
            fields >> kib;
            return kib * 1024;
        }
    }
    return 0;
}

std::string versionLine(const std::string &program)
{
    std::ostringstream out;
    out << program << ' ' << LWB_VERSION << " (engine: Qt-free; LibTorch " << TORCH_VERSION_MAJOR << '.'
        << TORCH_VERSION_MINOR << '.' << TORCH_VERSION_PATCH << "; CUDA: ";
    if (torch::cuda::is_available())
        out << "available, " << torch::cuda::device_count() << " GPU(s)";
    else
        out << "not available";
    out << ')';
    return out.str();
}

} // namespace lwb
