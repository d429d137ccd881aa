// ResLoraChain: the LoRA blocks of one target type in layer order, linked so
// that ResLoRA's block n can reach blocks n-1, n-2, ... (arXiv 2402.18039).
//
// Chains are keyed by the module path with the block number replaced by "*"
// ("transformer.h.*.attn.c_attn", "model.layers.*.mlp.down_proj"), so each
// target type is its own chain and every block of a chain has the same
// shape in the models CausalLM builds: Llama's gate/up ([inter, d]) and down
// ([d, inter]) are three chains, and under grouped-query attention k_proj and
// v_proj ([kv_heads * head_dim, d]) are chains of their own beside q_proj
// ([d, d]). A link joins two successive blocks of a chain only when their
// shapes are identical; a block after a shape change starts a new segment
// and behaves like a first block. Layers outside the transformer blocks are
// chains of one.
//
// During a whole-model forward the chain holds what each block's successors
// need: its input x_n (input-shortcut) and its A_n x_n (middle-shortcut).
// These tensors stay in the autograd graph (never detached, never written in
// place), so gradients flow along the shortcuts into earlier layers.
// beginForward() forgets them; CausalLM calls it before every forward pass,
// so micro-batches of gradient accumulation and evaluations in between never
// see another pass's activations.
#pragma once

#include "engine/adapters/adapted_linear.h"

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lwb {

struct AdapterSite;
class ResLoraAdapterImpl;

// "transformer.h.3.attn.c_attn", block 3 -> "transformer.h.*.attn.c_attn".
std::string resLoraChainKey(const std::string &path, std::int64_t block);

struct ResLoraChainPlan
{
    std::string key;
    std::vector<std::string> paths;     // the blocks in layer order
    std::vector<std::int64_t> previous; // position of the linked predecessor, -1 = none
};

// Groups the sites into chains (in the order of their first block) and links
// successive blocks of equal shape. linkUpDown puts Llama's up_proj and
// down_proj into one chain in module order (up_0, down_0, up_1, ...), as the
// official TARGET_MODULES_DICT groups them under "f" (mlp_chain "up_down");
// with their transposed shapes no two successive members link.
std::vector<ResLoraChainPlan> planResLoraChains(const std::vector<AdapterSite> &sites, bool linkUpDown = false);

class ResLoraChain
{
public:
    explicit ResLoraChain(ResLoraChainPlan plan);

    const ResLoraChainPlan &plan() const { return plan_; }
    std::int64_t size() const { return static_cast<std::int64_t>(plan_.paths.size()); }
    std::int64_t position(const std::string &path) const; // -1 when not in the chain

    // The linked earlier blocks of position, nearest first: up to count of
    // them, or all with count -1.
    std::vector<std::int64_t> predecessors(std::int64_t position, std::int64_t count) const;

    void bind(std::int64_t position, std::weak_ptr<ResLoraAdapterImpl> adapter,
              std::weak_ptr<AdaptedLinearImpl> linear);
    // Throws lwb::Error when the block's adapter or layer no longer exists.
    ResLoraAdapterImpl &adapter(std::int64_t position) const;
    std::shared_ptr<AdaptedLinearImpl> linear(std::int64_t position) const;

    // The activations of the current forward pass.
    void beginForward();
    void keepInput(std::int64_t position, const torch::Tensor &input);
    void keepHidden(std::int64_t position, const torch::Tensor &hidden);
    // Throws lwb::Error when the block has not run in this pass or ran on an
    // input of other leading dimensions than expected.
    const torch::Tensor &input(std::int64_t position, const torch::Tensor &like) const;
    const torch::Tensor &hidden(std::int64_t position, const torch::Tensor &like) const;

private:
    const torch::Tensor &kept(const std::vector<torch::Tensor> &tensors, std::int64_t position,
                              const torch::Tensor &like, const char *what) const;

    ResLoraChainPlan plan_;
    std::vector<std::weak_ptr<ResLoraAdapterImpl>> adapters_;
    std::vector<std::weak_ptr<AdaptedLinearImpl>> linears_;
    std::vector<torch::Tensor> inputs_;  // x_n of this pass
    std::vector<torch::Tensor> hiddens_; // A_n dropout(x_n) of this pass
};

} // namespace lwb
