// NCCL process groups, for CUDA ranks (one GPU per local rank). Compiled in
// builds that found CUDA and nccl.h (LWB_HAVE_NCCL, engine/CMakeLists.txt);
// elsewhere makeNcclGroup() throws an lwb::Error that says so.
#pragma once

#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>

#include <chrono>

namespace lwb {

c10::intrusive_ptr<c10d::Backend> makeNcclGroup(const c10::intrusive_ptr<c10d::Store> &store, int rank, int worldSize,
                                                std::chrono::milliseconds timeout);

} // namespace lwb
