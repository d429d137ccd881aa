// See nccl_group.h.
#include "engine/dist/nccl_group.h"

#include "engine/core/error.h"

#ifdef LWB_HAVE_NCCL
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace lwb {

c10::intrusive_ptr<c10d::Backend> makeNcclGroup(const c10::intrusive_ptr<c10d::Store> &store, int rank, int worldSize,
                                                std::chrono::milliseconds timeout)
{
#ifdef LWB_HAVE_NCCL
    auto options = c10d::ProcessGroupNCCL::Options::create();
    options->timeout = timeout;
    return c10::make_intrusive<c10d::ProcessGroupNCCL>(c10::make_intrusive<c10d::PrefixStore>("lwb/nccl", store), rank,
                                                       worldSize, options);
#else
    (void)store, (void)rank, (void)worldSize, (void)timeout;
    throw Error("device", "this build has no NCCL (CUDA or nccl.h was not found when it was configured): CUDA ranks "
                          "cannot communicate");
#endif
}

} // namespace lwb
