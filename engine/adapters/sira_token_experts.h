// SiRA's routing of one token, read back after a forward pass: for every SiRA
// layer of a model, which experts the token at a given place of the last
// forward used and with which gates. The playground (ui/playground_worker)
// shows it per generated token: read right after the forward whose logits
// chose the token (GenerationOptions::onChosen), the place is the last
// position of the row, whose logits those are.
//
// Plain values in and out, so that a caller needs no torch header; the
// numbers come from SiraAdapterImpl::lastRouting() (sira_routing.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace torch::nn {
class Module;
}

namespace lwb {

struct TokenExperts
{
    std::string layer;                 // module path, e.g. "model.layers.0.self_attn.q_proj"
    std::vector<std::int64_t> experts; // chosen experts, most probable first
    std::vector<double> gates;         // their final gates (0: dropped by capacity)
    std::vector<double> routerProbs;   // the router's softmax over all experts
};

// The last position of row `row` (of `rows` equal rows) in each SiRA layer's
// last forward, in module order. Empty when the model has no SiRA layer or
// no forward ran yet. Throws lwb::Error when the last forward's token count
// is not a multiple of `rows` or row is out of range.
std::vector<TokenExperts> lastTokenExperts(torch::nn::Module &model, std::int64_t row = 0, std::int64_t rows = 1);

} // namespace lwb
