// See hf_checkpoint.h. The name mapping is the identity (CausalLM registers
// its modules under transformers' names) except for GPT-2's optional
// "transformer." prefix and its Conv1D transposes.
#include "engine/model/hf_checkpoint.h"

#include "engine/core/error.h"
#include "engine/core/json_file.h"

#include <set>
#include <sstream>

namespace lwb {

namespace {

bool endsWith(const std::string &text, const std::string &suffix)
{
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// GPT-2's Conv1D modules store weight [in, out].
bool isConv1dWeight(Architecture architecture, const std::string &name)
{
    return architecture == Architecture::Gpt2
           && (endsWith(name, ".c_attn.weight") || endsWith(name, ".c_proj.weight") || endsWith(name, ".c_fc.weight"));
}

bool isAdapterParameter(const std::string &name)
{
    return name.find(".adapter.") != std::string::npos;
}

// Keys transformers itself ignores when loading.
bool isIgnorableKey(const std::string &key, const ModelConfig &config)
{
    if (endsWith(key, ".attn.bias") || endsWith(key, ".attn.masked_bias") || endsWith(key, "rotary_emb.inv_freq"))
        return true;
    return config.tieWordEmbeddings && key == "lm_head.weight";
}

class HfFields
{
public:
    HfFields(const nlohmann::json &config, std::string where)
        : config_(config)
        , where_(std::move(where))
    {
    }

    template<typename T>
    T get(const char *key, T fallback) const
    {
        const auto it = config_.find(key);
        if (it == config_.end() || it->is_null())
            return fallback;
        try {
            return it->get<T>();
        } catch (const nlohmann::json::exception &) {
            throw Error(where_ + ": " + key, "has the wrong type (" + std::string(it->type_name()) + ")");
        }
    }

    template<typename T>
    T require(const char *key) const
    {
        if (!config_.contains(key) || config_[key].is_null())
            throw Error(where_ + ": " + key, "missing");
        return get<T>(key, T{});
    }

    void expect(const char *key, const std::string &expected, const std::string &fallback) const
    {
        const auto value = get<std::string>(key, fallback);
        if (value != expected)
            throw Error(where_ + ": " + key, "\"" + value + "\" is not supported (only \"" + expected + "\")");
    }

private:
    const nlohmann::json &config_;
    std::string where_;
};

// The rotary base. transformers 5 writes it inside "rope_parameters"
// ({"rope_type": "default", "rope_theta": ...}) and no longer at the top
// level; older folders have "rope_theta" and maybe "rope_scaling". As
// transformers' RotaryEmbeddingConfigMixin.convert_rope_params_to_dict
// (5.x) reads them: rope_scaling, else rope_parameters, is the dict; its
// rope_theta wins over the top-level one; 10000 when neither is there.
// Only the unscaled, full-width rotation is computed, so anything else is
// refused rather than computed wrongly.
double ropeThetaOf(const nlohmann::json &config, const std::string &where)
{
    const auto object = [&](const char *key) {
        return config.contains(key) && config[key].is_object() && !config[key].empty() ? &config[key] : nullptr;
    };
    const auto *rope = object("rope_scaling");
    const std::string key = rope ? "rope_scaling" : "rope_parameters";
    if (!rope)
        rope = object("rope_parameters");
    const nlohmann::json none = nlohmann::json::object();
    const HfFields top(config, where), inner(rope ? *rope : none, where + ": " + key);
    const auto type = inner.get<std::string>("rope_type", inner.get<std::string>("type", "default"));
    if (type != "default")
        throw Error(where + ": " + key, "rope_type \"" + type + "\" (scaled rotary embeddings) is not supported");
    if (inner.get<double>("partial_rotary_factor", top.get<double>("partial_rotary_factor", 1.0)) != 1.0)
        throw Error(where + ": partial_rotary_factor", "rotary embeddings on part of each head are not supported");
    return inner.get<double>("rope_theta", top.get<double>("rope_theta", 10000.0));
}

} // namespace

ModelConfig modelConfigFromHf(const nlohmann::json &config, const std::string &where)
{
    if (!config.is_object())
        throw Error(where, "config.json must be a JSON object");
    const HfFields in(config, where);
    const auto type = in.get<std::string>("model_type", "");
    ModelConfig model;
    model.preset = "";
    if (type == "gpt2") {
        model.architecture = Architecture::Gpt2;
        model.vocabSize = in.require<std::int64_t>("vocab_size");
        model.hiddenSize = in.require<std::int64_t>("n_embd");
        model.numLayers = in.require<std::int64_t>("n_layer");
        model.numHeads = in.require<std::int64_t>("n_head");
        model.numKvHeads = model.numHeads;
        model.intermediateSize = in.get<std::int64_t>("n_inner", 4 * model.hiddenSize);
        model.maxPositions = in.require<std::int64_t>("n_positions");
        model.normEps = in.get<double>("layer_norm_epsilon", 1e-5);
        model.tieWordEmbeddings = in.get<bool>("tie_word_embeddings", true);
        model.attentionBias = true;
        const auto activation = in.get<std::string>("activation_function", "gelu_new");
        if (activation != "gelu_new" && activation != "gelu_pytorch_tanh")
            throw Error(where + ": activation_function", "\"" + activation
                                                              + "\" is not supported (gelu_new, gelu_pytorch_tanh)");
        // Both change the attention scores; ignoring them would give other logits.
        if (!in.get<bool>("scale_attn_weights", true))
            throw Error(where + ": scale_attn_weights", "unscaled attention scores are not supported");
        if (in.get<bool>("scale_attn_by_inverse_layer_idx", false))
            throw Error(where + ": scale_attn_by_inverse_layer_idx",
                        "scores scaled by the layer index are not supported");
    } else if (type == "llama" || type == "qwen2") {
        model.architecture = Architecture::Llama;
        model.vocabSize = in.require<std::int64_t>("vocab_size");
        model.hiddenSize = in.require<std::int64_t>("hidden_size");
        model.numLayers = in.require<std::int64_t>("num_hidden_layers");
        model.numHeads = in.require<std::int64_t>("num_attention_heads");
        model.numKvHeads = in.get<std::int64_t>("num_key_value_heads", model.numHeads);
        model.intermediateSize = in.require<std::int64_t>("intermediate_size");
        model.maxPositions = in.get<std::int64_t>("max_position_embeddings", 2048);
        model.normEps = in.get<double>("rms_norm_eps", 1e-6);
        model.ropeTheta = ropeThetaOf(config, where);
        model.tieWordEmbeddings = in.get<bool>("tie_word_embeddings", false);
        in.expect("hidden_act", "silu", "silu");
        if (type == "qwen2") {
            model.attentionBias = true;
            if (in.get<bool>("use_sliding_window", false))
                throw Error(where + ": use_sliding_window", "sliding-window attention is not supported");
        } else {
            model.attentionBias = false;
            if (in.get<bool>("attention_bias", false))
                throw Error(where + ": attention_bias", "Llama with attention biases (also on o_proj) is not supported");
        }
        if (in.get<bool>("mlp_bias", false))
            throw Error(where + ": mlp_bias", "MLP biases are not supported");
        if (model.numHeads > 0 && in.get<std::int64_t>("head_dim", model.hiddenSize / model.numHeads)
                                      != model.hiddenSize / model.numHeads)
            throw Error(where + ": head_dim", "must equal hidden_size / num_attention_heads");
    } else {
        throw Error(where + ": model_type", "\"" + type + "\" is not supported (gpt2, llama, qwen2)");
    }
    if (model.numHeads <= 0 || model.hiddenSize % model.numHeads != 0)
        throw Error(where, "the hidden size must be a multiple of the head count");
    if (model.numKvHeads <= 0 || model.numHeads % model.numKvHeads != 0)
        throw Error(where, "the key/value head count must divide the head count");
    model.initializerRange = in.get<double>("initializer_range", 0.02);
    return model;
}

nlohmann::json hfConfigJson(const ModelConfig &model, const std::string &torchDtype)
{
    nlohmann::json config;
    config["vocab_size"] = model.vocabSize;
    config["tie_word_embeddings"] = model.tieWordEmbeddings;
    config["initializer_range"] = model.initializerRange;
    config["torch_dtype"] = torchDtype;
    // The byte tokenizer's specials; a model from a tokenizer.json keeps its own ids there.
    config["bos_token_id"] = 256;
    config["eos_token_id"] = 257;
    if (model.architecture == Architecture::Gpt2) {
        config["architectures"] = {"GPT2LMHeadModel"};
        config["model_type"] = "gpt2";
        config["n_embd"] = model.hiddenSize;
        config["n_layer"] = model.numLayers;
        config["n_head"] = model.numHeads;
        config["n_inner"] = model.intermediateSize;
        config["n_positions"] = model.maxPositions;
        config["n_ctx"] = model.maxPositions;
        config["layer_norm_epsilon"] = model.normEps;
        config["activation_function"] = "gelu_new";
        config["resid_pdrop"] = 0.0;
        config["embd_pdrop"] = 0.0;
        config["attn_pdrop"] = 0.0;
        config["scale_attn_weights"] = true;
        return config;
    }
    const bool qwen2 = model.attentionBias;
    config["architectures"] = {qwen2 ? "Qwen2ForCausalLM" : "LlamaForCausalLM"};
    config["model_type"] = qwen2 ? "qwen2" : "llama";
    config["hidden_size"] = model.hiddenSize;
    config["intermediate_size"] = model.intermediateSize;
    config["num_hidden_layers"] = model.numLayers;
    config["num_attention_heads"] = model.numHeads;
    config["num_key_value_heads"] = model.numKvHeads;
    config["max_position_embeddings"] = model.maxPositions;
    config["rms_norm_eps"] = model.normEps;
    config["rope_theta"] = model.ropeTheta;
    config["rope_scaling"] = nullptr;
    config["hidden_act"] = "silu";
    config["attention_dropout"] = 0.0;
    if (qwen2) {
        config["use_sliding_window"] = false;
    } else {
        config["attention_bias"] = false;
        config["mlp_bias"] = false;
    }
    return config;
}

NamedTensors hfStateDict(CausalLMImpl &model, const std::map<std::string, torch::Tensor> &replaced)
{
    const auto architecture = model.config().architecture;
    NamedTensors tensors;
    for (const auto &item : model.named_parameters()) {
        const auto &name = item.key();
        if (isAdapterParameter(name))
            continue;
        const auto replacement = replaced.find(name);
        auto tensor = replacement != replaced.end() ? replacement->second.detach() : item.value().detach();
        if (isConv1dWeight(architecture, name))
            tensor = tensor.t().contiguous();
        tensors.emplace_back(name, tensor);
    }
    return tensors;
}

void loadHfWeights(CausalLMImpl &model, const ShardedCheckpoint &checkpoint)
{
    const auto &config = model.config();
    const auto where = checkpoint.sourcePath();
    std::set<std::string> used;
    torch::NoGradGuard noGrad;
    for (auto &item : model.named_parameters()) {
        const auto &name = item.key();
        if (isAdapterParameter(name))
            continue;
        std::string key = name;
        if (!checkpoint.contains(key) && config.architecture == Architecture::Gpt2 && key.rfind("transformer.", 0) == 0
            && checkpoint.contains(key.substr(12)))
            key = key.substr(12);
        if (!checkpoint.contains(key))
            throw Error(where, "has no tensor \"" + name + "\" (another architecture or size?)");
        auto tensor = checkpoint.load(key, torch::kFloat32);
        if (isConv1dWeight(config.architecture, name)) {
            if (tensor.dim() != 2)
                throw Error(where, "tensor \"" + key + "\" must be 2-dimensional (Conv1D weight)");
            tensor = tensor.t();
        }
        auto &parameter = item.value();
        if (tensor.sizes() != parameter.sizes()) {
            std::ostringstream shapes;
            shapes << "tensor \"" << key << "\" has shape " << tensor.sizes() << ", the model expects "
                   << parameter.sizes();
            throw Error(where, shapes.str());
        }
        parameter.copy_(tensor);
        used.insert(key);
    }
    std::string unused;
    for (const auto &key : checkpoint.names()) {
        if (!used.count(key) && !isIgnorableKey(key, config) && !isIgnorableKey("transformer." + key, config))
            unused += (unused.empty() ? "" : ", ") + key;
    }
    if (!unused.empty())
        throw Error(where, "holds tensors this model has no place for: " + unused);
}

CausalLM loadHfCausalLM(const std::string &folder)
{
    const auto configPath = folder + "/config.json";
    const auto config = readJsonFile(configPath, "cannot open the model config (missing or unreadable)");
    CausalLM model(modelConfigFromHf(config, configPath));
    loadHfWeights(*model, ShardedCheckpoint(folder));
    model->eval();
    return model;
}

} // namespace lwb
