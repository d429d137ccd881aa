// See hf_config.h.
#include "engine/model/hf_config.h"

#include "engine/core/error.h"

#include <algorithm>
#include <cmath>

namespace lwb {

namespace {

class HfFields
{
public:
    HfFields(const nlohmann::json &config, std::string where)
        : config_(config)
        , where_(std::move(where))
    {
    }

    bool has(const char *key) const { return config_.contains(key) && !config_[key].is_null(); }

    template <typename T> T get(const char *key, T fallback) const
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

    template <typename T> T require(const char *key) const
    {
        if (!has(key))
            throw Error(where_ + ": " + key, "missing");
        return get<T>(key, T{});
    }

    void expect(const char *key, const std::string &expected, const std::string &fallback) const
    {
        const auto value = get<std::string>(key, fallback);
        if (value != expected)
            throw Error(where_ + ": " + key, "\"" + value + "\" is not supported (only \"" + expected + "\")");
    }

    const std::string &where() const { return where_; }

private:
    const nlohmann::json &config_;
    std::string where_;
};

// Where a model_type keeps its rotary base and rotated share besides
// rope_parameters: Llama's family at the top level (rope_theta,
// partial_rotary_factor, Phi-3 only), GPT-NeoX's older folders under their
// own names (rotary_emb_base, rotary_pct; GPTNeoXConfig's default share 0.25).
struct RopeKeys
{
    bool partialAllowed = false;
    double partialDefault = 1.0;
    const char *theta = "rope_theta";
    const char *partial = "partial_rotary_factor";
};

// The rotary base and scaling. transformers 5 writes them inside
// "rope_parameters" ({"rope_type": "default", "rope_theta": ...}) and no
// longer at the top level; older folders have "rope_theta" and maybe
// "rope_scaling". As transformers' convert_rope_params_to_dict (5.x) reads
// them: rope_scaling, else rope_parameters, is the dict; its rope_theta wins
// over the top-level one; 10000 when neither is there.
void readRope(const nlohmann::json &config, const std::string &where, const RopeKeys &keys, ModelConfig &model)
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
    auto &scaling = model.ropeScaling;
    scaling.type = inner.get<std::string>("rope_type", inner.get<std::string>("type", "default"));
    if (scaling.type == "linear") {
        scaling.factor = inner.require<double>("factor");
    } else if (scaling.type == "llama3") {
        scaling.factor = inner.require<double>("factor");
        scaling.lowFreqFactor = inner.require<double>("low_freq_factor");
        scaling.highFreqFactor = inner.require<double>("high_freq_factor");
        scaling.originalMaxPositions = inner.require<std::int64_t>("original_max_position_embeddings");
        if (scaling.highFreqFactor <= scaling.lowFreqFactor)
            throw Error(where + ": " + key + ": high_freq_factor", "must exceed low_freq_factor");
    } else if (scaling.type != "default") {
        // dynamic changes the frequencies with the longest sequence seen so
        // far (state across calls), yarn/longrope scale cos/sin too.
        throw Error(where + ": " + key,
                    "rope_type \"" + scaling.type + "\" is not supported (default, linear, llama3)");
    }
    if (scaling.factor <= 0.0)
        throw Error(where + ": " + key + ": factor", "must be positive");
    model.partialRotaryFactor
        = inner.get<double>("partial_rotary_factor", top.get<double>(keys.partial, keys.partialDefault));
    if (model.partialRotaryFactor != 1.0 && !keys.partialAllowed)
        throw Error(where + ": partial_rotary_factor",
                    "rotary embeddings on part of each head are not supported for " + model.hfModelType());
    if (model.partialRotaryFactor <= 0.0 || model.partialRotaryFactor > 1.0)
        throw Error(where + ": partial_rotary_factor", "must be in (0, 1]");
    model.ropeTheta = inner.get<double>("rope_theta", top.get<double>(keys.theta, 10000.0));
}

// layer_types (transformers 5: "full_attention" / "sliding_attention" per
// layer), which says where sliding_window applies.
void readLayerTypes(const nlohmann::json &config, const HfFields &in, ModelConfig &model)
{
    if (!in.has("layer_types"))
        return;
    const auto &types = config["layer_types"];
    if (!types.is_array() || static_cast<std::int64_t>(types.size()) != model.numLayers)
        throw Error(in.where() + ": layer_types",
                    "must list one type per layer (num_hidden_layers " + std::to_string(model.numLayers) + ")");
    model.slidingLayers.clear();
    for (std::size_t i = 0; i < types.size(); ++i) {
        const auto type = types[i].is_string() ? types[i].get<std::string>() : types[i].dump();
        if (type != "full_attention" && type != "sliding_attention")
            throw Error(in.where() + ": layer_types[" + std::to_string(i) + "]",
                        "\"" + type + "\" is not supported (full_attention, sliding_attention)");
        model.slidingLayers.push_back(type == "sliding_attention");
    }
    const bool anySliding
        = std::find(model.slidingLayers.begin(), model.slidingLayers.end(), true) != model.slidingLayers.end();
    if (anySliding && model.slidingWindow <= 0)
        throw Error(in.where() + ": sliding_window", "layer_types has sliding_attention layers but no window");
    if (!anySliding) {
        model.slidingWindow = 0;
        model.slidingLayers.clear();
    }
}

void readGpt2(const HfFields &in, ModelConfig &model)
{
    const auto &where = in.where();
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
        throw Error(where + ": activation_function",
                    "\"" + activation + "\" is not supported (gelu_new, gelu_pytorch_tanh)");
    // Both change the attention scores; ignoring them would give other logits.
    if (!in.get<bool>("scale_attn_weights", true))
        throw Error(where + ": scale_attn_weights", "unscaled attention scores are not supported");
    if (in.get<bool>("scale_attn_by_inverse_layer_idx", false))
        throw Error(where + ": scale_attn_by_inverse_layer_idx", "scores scaled by the layer index are not supported");
}

void readLlamaFamily(const nlohmann::json &config, const HfFields &in, const std::string &type, ModelConfig &model)
{
    const auto &where = in.where();
    const bool gemma = type == "gemma" || type == "gemma2";
    model.architecture = Architecture::Llama;
    model.modelType = type;
    model.vocabSize = in.require<std::int64_t>("vocab_size");
    model.hiddenSize = in.require<std::int64_t>("hidden_size");
    model.numLayers = in.require<std::int64_t>("num_hidden_layers");
    model.numHeads = in.require<std::int64_t>("num_attention_heads");
    model.numKvHeads = in.get<std::int64_t>("num_key_value_heads", model.numHeads);
    model.intermediateSize = in.require<std::int64_t>("intermediate_size");
    model.maxPositions = in.get<std::int64_t>("max_position_embeddings", 2048);
    model.normEps = in.get<double>("rms_norm_eps", 1e-6);
    model.tieWordEmbeddings = in.get<bool>("tie_word_embeddings", gemma);
    model.headDimension = in.get<std::int64_t>("head_dim", 0);
    if (model.numHeads > 0 && model.headDimension == model.hiddenSize / model.numHeads
        && model.hiddenSize % model.numHeads == 0)
        model.headDimension = 0; // the derived one: written back the same way
    RopeKeys rope;
    rope.partialAllowed = type == "phi3";
    readRope(config, where, rope, model);

    // The MLP's activation (Gemma 2 names the key hidden_activation;
    // transformers reads Gemma's legacy "gelu" as the tanh approximation).
    const char *actKey = type == "gemma2" ? "hidden_activation" : "hidden_act";
    auto activation = in.get<std::string>(actKey, gemma ? "gelu_pytorch_tanh" : "silu");
    if (type == "gemma" && activation == "gelu")
        activation = "gelu_pytorch_tanh";
    if (activation != "silu" && activation != "gelu_pytorch_tanh")
        throw Error(where + ": " + actKey, "\"" + activation + "\" is not supported (silu, gelu_pytorch_tanh)");
    model.hiddenActivation = activation;

    // Biases: Qwen2 always on q/k/v; attention_bias puts them on all four
    // projections (Llama, Qwen3, Gemma); Mistral and Phi-3 have none.
    if (type == "qwen2") {
        model.attentionBias = true;
    } else if (type == "mistral" || type == "phi3") {
        model.attentionBias = false;
        if (in.get<bool>("attention_bias", false))
            throw Error(where + ": attention_bias", type + " has no attention biases");
    } else {
        model.attentionBias = model.attentionOutputBias = in.get<bool>("attention_bias", false);
    }
    if (in.get<bool>("mlp_bias", false))
        throw Error(where + ": mlp_bias", "MLP biases are not supported");

    // Sliding windows: Mistral and Phi-3 on every layer when set; Qwen2/3 and
    // Gemma 2 per layer_types (which transformers 5 writes; Qwen's
    // use_sliding_window false leaves every layer full).
    if (type == "mistral" || type == "phi3") {
        model.slidingWindow = in.get<std::int64_t>("sliding_window", 0);
    } else if (type == "qwen2" || type == "qwen3") {
        if (in.get<bool>("use_sliding_window", false)) {
            model.slidingWindow = in.require<std::int64_t>("sliding_window");
            if (!in.has("layer_types")) {
                const auto first = in.get<std::int64_t>("max_window_layers", 28);
                for (std::int64_t i = 0; i < model.numLayers; ++i)
                    model.slidingLayers.push_back(i >= first);
            }
        }
        readLayerTypes(config, in, model);
    } else if (type == "gemma2") {
        model.slidingWindow = in.get<std::int64_t>("sliding_window", 0);
        if (!in.has("layer_types"))
            for (std::int64_t i = 0; i < model.numLayers; ++i)
                model.slidingLayers.push_back((i + 1) % 2 == 1);
        readLayerTypes(config, in, model);
    } else if (in.has("sliding_window") && type != "gemma") {
        throw Error(where + ": sliding_window", type + " has no sliding-window attention");
    }
    if (model.slidingWindow < 0)
        throw Error(where + ": sliding_window", "must not be negative");

    model.qkNorm = type == "qwen3";
    model.fusedProjections = type == "phi3";
    model.normPlusOne = model.scaleEmbeddings = gemma;
    if (type == "gemma2") {
        model.sandwichNorms = true;
        model.attentionSoftcap = in.get<double>("attn_logit_softcapping", 0.0);
        model.finalLogitSoftcap = in.get<double>("final_logit_softcapping", 0.0);
        model.queryPreAttnScalar = in.get<double>("query_pre_attn_scalar", 256.0);
        if (model.attentionSoftcap < 0.0 || model.finalLogitSoftcap < 0.0 || model.queryPreAttnScalar <= 0.0)
            throw Error(where,
                        "attn_logit_softcapping, final_logit_softcapping and query_pre_attn_scalar must be positive");
    }
    if (in.get<bool>("use_bidirectional_attention", false))
        throw Error(where + ": use_bidirectional_attention", "only causal attention is supported");
}

// GPTNeoXForCausalLM (Pythia): LayerNorm with biases, query_key_value per
// head, partial rotary (default a quarter of each head), parallel or
// sequential residuals, an ungated MLP with biases, untied embed_out.
void readGptNeox(const nlohmann::json &config, const HfFields &in, ModelConfig &model)
{
    const auto &where = in.where();
    model.architecture = Architecture::Llama;
    model.modelType = "gpt_neox";
    model.vocabSize = in.require<std::int64_t>("vocab_size");
    model.hiddenSize = in.require<std::int64_t>("hidden_size");
    model.numLayers = in.require<std::int64_t>("num_hidden_layers");
    model.numHeads = in.require<std::int64_t>("num_attention_heads");
    model.numKvHeads = model.numHeads;
    model.intermediateSize = in.require<std::int64_t>("intermediate_size");
    model.maxPositions = in.get<std::int64_t>("max_position_embeddings", 2048);
    model.normEps = in.get<double>("layer_norm_eps", 1e-5);
    model.tieWordEmbeddings = in.get<bool>("tie_word_embeddings", false);
    RopeKeys rope;
    rope.partialAllowed = true;
    rope.partialDefault = 0.25;
    rope.theta = "rotary_emb_base";
    rope.partial = "rotary_pct";
    readRope(config, where, rope, model);
    // transformers' ACT2FN: "gelu" is erf's; gelu_new and gelu_pytorch_tanh the same tanh curve.
    const auto activation = in.get<std::string>("hidden_act", "gelu");
    if (activation == "gelu")
        model.hiddenActivation = "gelu";
    else if (activation == "gelu_new" || activation == "gelu_pytorch_tanh")
        model.hiddenActivation = "gelu_pytorch_tanh";
    else
        throw Error(where + ": hidden_act",
                    "\"" + activation + "\" is not supported (gelu, gelu_new, gelu_pytorch_tanh)");
    model.attentionBias = model.attentionOutputBias = in.get<bool>("attention_bias", true);
    model.parallelResidual = in.get<bool>("use_parallel_residual", true);
}

const char *hfClassName(const std::string &type)
{
    if (type == "mistral")
        return "MistralForCausalLM";
    if (type == "qwen2")
        return "Qwen2ForCausalLM";
    if (type == "qwen3")
        return "Qwen3ForCausalLM";
    if (type == "gemma")
        return "GemmaForCausalLM";
    if (type == "gemma2")
        return "Gemma2ForCausalLM";
    if (type == "phi3")
        return "Phi3ForCausalLM";
    return "LlamaForCausalLM";
}

nlohmann::json ropeParametersJson(const ModelConfig &model)
{
    nlohmann::json rope = {{"rope_type", model.ropeScaling.type}, {"rope_theta", model.ropeTheta}};
    if (model.ropeScaling.type != "default")
        rope["factor"] = model.ropeScaling.factor;
    if (model.ropeScaling.type == "llama3") {
        rope["low_freq_factor"] = model.ropeScaling.lowFreqFactor;
        rope["high_freq_factor"] = model.ropeScaling.highFreqFactor;
        rope["original_max_position_embeddings"] = model.ropeScaling.originalMaxPositions;
    }
    if (model.partialRotaryFactor != 1.0)
        rope["partial_rotary_factor"] = model.partialRotaryFactor;
    return rope;
}

// config.json of a GPT-NeoX as transformers 5 writes it; the rotated share
// always (its default is 0.25, not 1).
nlohmann::json gptNeoxConfigJson(const ModelConfig &model, nlohmann::json config)
{
    config["architectures"] = {"GPTNeoXForCausalLM"};
    config["model_type"] = "gpt_neox";
    config["hidden_size"] = model.hiddenSize;
    config["intermediate_size"] = model.intermediateSize;
    config["num_hidden_layers"] = model.numLayers;
    config["num_attention_heads"] = model.numHeads;
    config["max_position_embeddings"] = model.maxPositions;
    config["layer_norm_eps"] = model.normEps;
    auto rope = ropeParametersJson(model);
    rope["partial_rotary_factor"] = model.partialRotaryFactor;
    config["rope_parameters"] = rope;
    config["hidden_act"] = model.hiddenActivation;
    config["attention_bias"] = model.attentionBias;
    config["use_parallel_residual"] = model.parallelResidual;
    config["attention_dropout"] = 0.0;
    config["hidden_dropout"] = 0.0;
    return config;
}

} // namespace

const std::vector<std::string> &supportedModelTypes()
{
    static const std::vector<std::string> types
        = {"gpt2", "llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "phi3", "gpt_neox"};
    return types;
}

ModelConfig modelConfigFromHf(const nlohmann::json &config, const std::string &where)
{
    if (!config.is_object())
        throw Error(where, "config.json must be a JSON object");
    const HfFields in(config, where);
    const auto type = in.get<std::string>("model_type", "");
    ModelConfig model;
    model.preset = "";
    const auto &types = supportedModelTypes();
    if (type == "gpt2") {
        readGpt2(in, model);
    } else if (type == "gpt_neox") {
        readGptNeox(config, in, model);
    } else if (std::find(types.begin(), types.end(), type) != types.end()) {
        readLlamaFamily(config, in, type, model);
    } else {
        std::string names;
        for (const auto &known : types)
            names += (names.empty() ? "" : ", ") + known;
        throw Error(where + ": model_type", "\"" + type + "\" is not supported (" + names + ")");
    }
    if (model.numHeads <= 0 || (model.headDimension == 0 && model.hiddenSize % model.numHeads != 0))
        throw Error(where, "the hidden size must be a multiple of the head count (or head_dim given)");
    if (model.numKvHeads <= 0 || model.numHeads % model.numKvHeads != 0)
        throw Error(where, "the key/value head count must divide the head count");
    if (model.architecture == Architecture::Llama) {
        const auto rotated
            = static_cast<std::int64_t>(static_cast<double>(model.headDim()) * model.partialRotaryFactor);
        if (rotated % 2 != 0 || rotated == 0)
            throw Error(where, "the rotated width of a head (head_dim x partial_rotary_factor) must be even");
    }
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
    if (model.gptNeox())
        return gptNeoxConfigJson(model, config);
    const auto type = model.hfModelType();
    config["architectures"] = {hfClassName(type)};
    config["model_type"] = type;
    config["hidden_size"] = model.hiddenSize;
    config["intermediate_size"] = model.intermediateSize;
    config["num_hidden_layers"] = model.numLayers;
    config["num_attention_heads"] = model.numHeads;
    config["num_key_value_heads"] = model.numKvHeads;
    config["head_dim"] = model.headDim();
    config["max_position_embeddings"] = model.maxPositions;
    config["rms_norm_eps"] = model.normEps;
    config["rope_parameters"] = ropeParametersJson(model);
    config[type == "gemma2" ? "hidden_activation" : "hidden_act"] = model.hiddenActivation;
    config["attention_dropout"] = 0.0;
    if (type != "qwen2" && type != "mistral" && type != "phi3")
        config["attention_bias"] = model.attentionBias;
    if (type == "llama")
        config["mlp_bias"] = false;
    if (type == "phi3") {
        config["resid_pdrop"] = 0.0;
        config["embd_pdrop"] = 0.0;
        config["original_max_position_embeddings"] = model.maxPositions;
    }
    // Sliding windows: one number for every layer, or layer_types.
    if (type == "mistral" || type == "phi3") {
        config["sliding_window"] = model.slidingWindow > 0 ? nlohmann::json(model.slidingWindow) : nlohmann::json();
    } else if (type == "qwen2" || type == "qwen3" || type == "gemma2") {
        nlohmann::json layerTypes = nlohmann::json::array();
        for (std::int64_t i = 0; i < model.numLayers; ++i)
            layerTypes.push_back(model.slidingWindowOf(i) > 0 ? "sliding_attention" : "full_attention");
        config["layer_types"] = layerTypes;
        config["sliding_window"] = model.slidingWindow > 0 ? nlohmann::json(model.slidingWindow) : nlohmann::json();
        if (type != "gemma2") {
            config["use_sliding_window"] = model.slidingWindow > 0;
            config["max_window_layers"] = model.numLayers;
        }
    }
    if (type == "gemma2") {
        const auto orNull = [](double value) { return value > 0.0 ? nlohmann::json(value) : nlohmann::json(); };
        config["attn_logit_softcapping"] = orNull(model.attentionSoftcap);
        config["final_logit_softcapping"] = orNull(model.finalLogitSoftcap);
        // An int in transformers' Gemma2Config (its strict validation refuses a float).
        const double scalar
            = model.queryPreAttnScalar > 0.0 ? model.queryPreAttnScalar : static_cast<double>(model.headDim());
        config["query_pre_attn_scalar"]
            = scalar == std::floor(scalar) ? nlohmann::json(static_cast<std::int64_t>(scalar)) : nlohmann::json(scalar);
    }
    return config;
}

} // namespace lwb
