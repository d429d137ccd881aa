// writeSafetensors: stores named tensors and string metadata as one
// .safetensors file, atomically.
//
// The bytes go to a temporary file in the target's directory, which is
// fsync'ed and then renamed over the target (and the directory fsync'ed), so a
// reader sees either the old file or the complete new one, never a torn write;
// a crash leaves at most a stray ".<name>.tmp-*" file. Tensors are stored in
// the given order, in their own dtype (float32, float16 or bfloat16; anything
// else is refused, naming the dtype). The header is padded with spaces to a
// multiple of 8 bytes so that every tensor starts 8-byte aligned in the file
// when the tensors before it are.
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace lwb {

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

// Throws lwb::Error naming the file (and the tensor, where one is at fault) on
// a duplicate or reserved name, an unsupported dtype or an I/O failure; the
// target is left untouched in every failure case.
void writeSafetensors(const std::string &path, const NamedTensors &tensors,
                      const std::map<std::string, std::string> &metadata = {});

} // namespace lwb
