"""Causal-LM logits of a Hugging Face checkpoint folder in float64, with the
Python standard library only (lists of floats; small models only).

Written from the published architectures as transformers implements them
(GPT2LMHeadModel, LlamaForCausalLM, Qwen2ForCausalLM), not from LoRA
Workbench's C++ model, so that it can check that model:

  GPT-2: h = wte[ids] + wpe[positions]; per block (pre-LN)
    h += c_proj(attn(c_attn(ln_1(h)))), h += mlp.c_proj(act(c_fc(ln_2(h))));
    logits = ln_f(h) @ lm_head^T (lm_head tied to wte unless
    tie_word_embeddings is false). Conv1D: y = x @ W + b, W stored [in, out].
    Scores / sqrt(head_dim) (scale_attn_weights), also / (layer + 1) with
    scale_attn_by_inverse_layer_idx. LayerNorm eps: layer_norm_epsilon.
    gelu_new: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
  Llama / Qwen2: h = embed_tokens[ids]; per block
    h += o_proj(attn(rope(q), rope(k), v)) of x = rms(h),
    h += down(silu(gate(x)) * up(x)) of x = rms(h); logits = rms(h) @ lm_head^T.
    RMSNorm w * x / sqrt(mean(x^2) + eps). RoPE (rope_theta): inv_freq_i =
    theta^(-2i/d), x_i' = x_i cos - x_{i+d/2} sin, x_{i+d/2}' = x_{i+d/2} cos
    + x_i sin (rotate_half on the two halves of a head). Grouped-query
    attention: query head h reads kv head h // (heads / kv_heads). Biases:
    Qwen2 q/k/v; Llama q/k/v/o with attention_bias, gate/up/down with mlp_bias.

Every weight matrix is a `Layer` under the module name transformers gives it
(`transformer.h.0.attn.c_attn`, `model.layers.0.self_attn.q_proj`,
`lm_head`), in the layout the checkpoint stores it, so that an adapter can be
merged into it the way PEFT merges (peft_lora.py). A checkpoint that stores
GPT-2 without the `transformer.` prefix (the Hub's original files) is read too.
"""
import json
import math
import os
from operator import mul

from safetensors_file import SafetensorsFile


class UnsupportedInput(Exception):
    """A checkpoint the reference cannot compute faithfully: refused, never approximated."""


class Checkpoint:
    """config.json and the tensors of model.safetensors (or its shards)."""

    def __init__(self, folder):
        self.folder = folder
        with open(os.path.join(folder, "config.json")) as f:
            self.config = json.load(f)
        index = os.path.join(folder, "model.safetensors.index.json")
        if os.path.exists(index):
            with open(index) as f:
                shards = sorted(set(json.load(f)["weight_map"].values()))
        else:
            shards = ["model.safetensors"]
        self._files = [SafetensorsFile(os.path.join(folder, shard)) for shard in shards]

    def has(self, name):
        return any(name in f for f in self._files)

    def tensor(self, name, shape):
        for f in self._files:
            if name in f:
                tensor = f.tensor(name)
                if tensor.shape != list(shape):
                    raise UnsupportedInput("%s: %s has shape %s, the config implies %s"
                                         % (f.path, name, tensor.shape, list(shape)))
                return tensor
        raise UnsupportedInput("%s: no tensor %s" % (self.folder, name))


class Layer:
    """A Linear (weight [out, in]) or a GPT-2 Conv1D (weight [in, out]), plus bias."""

    def __init__(self, kind, weight_rows, bias):
        self.kind = kind  # "linear" or "conv1d"
        self.weight = weight_rows
        self.bias = bias
        rows, columns = len(weight_rows), len(weight_rows[0])
        self.in_features, self.out_features = (columns, rows) if kind == "linear" else (rows, columns)
        self._out_major = None

    def add_to_weight(self, delta_rows):
        """weight += delta, delta in the stored layout (a merge)."""
        if len(delta_rows) != len(self.weight) or len(delta_rows[0]) != len(self.weight[0]):
            raise UnsupportedInput("a delta of shape [%d, %d] does not fit a %s weight of shape [%d, %d]"
                                 % (len(delta_rows), len(delta_rows[0]), self.kind, len(self.weight),
                                    len(self.weight[0])))
        self.weight = [[w + d for w, d in zip(wr, dr)] for wr, dr in zip(self.weight, delta_rows)]
        self._out_major = None

    def __call__(self, xs):
        if self._out_major is None:
            self._out_major = self.weight if self.kind == "linear" else [list(c) for c in zip(*self.weight)]
        out = [[sum(map(mul, row, x)) for row in self._out_major] for x in xs]
        if self.bias is not None:
            out = [[y + b for y, b in zip(ys, self.bias)] for ys in out]
        return out


def _softmax_weighted_sum(scores, values):
    top = max(scores)
    weights = [math.exp(s - top) for s in scores]
    total = sum(weights)
    width = len(values[0])
    return [sum(w * v[i] for w, v in zip(weights, values)) / total for i in range(width)]


def causal_attention(q, k, v, heads, kv_heads, head_dim, scale):
    """q [T][heads * head_dim], k and v [T][kv_heads * head_dim] -> [T][heads * head_dim]."""
    group = heads // kv_heads
    out = []
    for t in range(len(q)):
        row = []
        for h in range(heads):
            qs = q[t][h * head_dim:(h + 1) * head_dim]
            kv = (h // group) * head_dim
            scores = [sum(map(mul, qs, k[s][kv:kv + head_dim])) * scale for s in range(t + 1)]
            row += _softmax_weighted_sum(scores, [v[s][kv:kv + head_dim] for s in range(t + 1)])
        out.append(row)
    return out


def layer_norm(xs, weight, bias, eps):
    out = []
    for x in xs:
        mean = sum(x) / len(x)
        variance = sum((a - mean) ** 2 for a in x) / len(x)
        inv = 1.0 / math.sqrt(variance + eps)
        out.append([(a - mean) * inv * w + b for a, w, b in zip(x, weight, bias)])
    return out


def rms_norm(xs, weight, eps):
    out = []
    for x in xs:
        inv = 1.0 / math.sqrt(sum(a * a for a in x) / len(x) + eps)
        out.append([w * a * inv for a, w in zip(x, weight)])
    return out


def gelu_tanh(x):
    return 0.5 * x * (1.0 + math.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def gelu_erf(x):
    return 0.5 * x * (1.0 + math.erf(x / math.sqrt(2.0)))


GPT2_ACTIVATIONS = {"gelu_new": gelu_tanh, "gelu_pytorch_tanh": gelu_tanh, "gelu": gelu_erf}


def silu(x):
    return x / (1.0 + math.exp(-x)) if x > -700.0 else 0.0


def add(xs, ys):
    return [[a + b for a, b in zip(x, y)] for x, y in zip(xs, ys)]


class CausalLM:
    """Shared by both families: the adaptable layers by module name, logits, log-probs."""

    def __init__(self, checkpoint):
        self.checkpoint = checkpoint
        self.config = checkpoint.config
        self.layers = {}  # module name -> Layer, every Linear / Conv1D PEFT could adapt
        self._containers = []  # transformers' other module names (what a target must not select)

    def other_modules(self):
        return list(self._containers)

    def _rows(self, name, shape):
        return self.checkpoint.tensor(name, shape).rows()

    def _vector(self, name, size):
        return self.checkpoint.tensor(name, [size]).values

    def _layer(self, module, kind, in_features, out_features, bias, key=None):
        key = key or module
        shape = [out_features, in_features] if kind == "linear" else [in_features, out_features]
        self.layers[module] = Layer(kind, self._rows(key + ".weight", shape),
                                    self._vector(key + ".bias", out_features) if bias else None)

    def _lm_head(self, embedding_rows, tied):
        if tied:
            rows = [list(r) for r in embedding_rows]  # a copy: PEFT's unmerged LoRA on lm_head leaves wte alone
        else:
            rows = self._rows("lm_head.weight", [len(embedding_rows), len(embedding_rows[0])])
        self.layers["lm_head"] = Layer("linear", rows, None)

    def log_probs(self, ids):
        """[None, log p(ids[1] | ids[:1]), ...] and the logits."""
        logits = self.logits(ids)
        scores = [None]
        for t in range(1, len(ids)):
            row = logits[t - 1]
            top = max(row)
            scores.append(row[ids[t]] - top - math.log(sum(math.exp(v - top) for v in row)))
        return scores, logits


class Gpt2(CausalLM):
    def __init__(self, checkpoint):
        super().__init__(checkpoint)
        c = self.config
        if c.get("add_cross_attention"):
            raise UnsupportedInput("GPT-2 with cross-attention is not a causal LM the reference computes")
        self.d, self.heads, self.n_layer = c["n_embd"], c["n_head"], c["n_layer"]
        self.eps = c.get("layer_norm_epsilon", 1e-5)
        activation = c.get("activation_function", "gelu_new")
        if activation not in GPT2_ACTIVATIONS:
            raise UnsupportedInput("activation_function %s is not one the reference computes" % activation)
        self.activation = GPT2_ACTIVATIONS[activation]
        inner = c.get("n_inner") or 4 * self.d
        vocab, positions = c["vocab_size"], c["n_positions"]
        # Hub checkpoints saved by the original GPT2Model have no "transformer." prefix.
        stored = "transformer." if checkpoint.has("transformer.wte.weight") else ""
        self.wte = self._rows(stored + "wte.weight", [vocab, self.d])
        self.wpe = self._rows(stored + "wpe.weight", [positions, self.d])
        self.norms = {}
        self._containers = ["transformer", "transformer.wte", "transformer.wpe", "transformer.drop", "transformer.h",
                            "transformer.ln_f"]
        for n in range(self.n_layer):
            p = "h.%d." % n
            self._containers += ["transformer." + p[:-1]] + ["transformer." + p + m for m in (
                "ln_1", "attn", "attn.attn_dropout", "attn.resid_dropout", "ln_2", "mlp", "mlp.act", "mlp.dropout")]
            for norm in ("ln_1", "ln_2"):
                self.norms[p + norm] = (self._vector(stored + p + norm + ".weight", self.d),
                                        self._vector(stored + p + norm + ".bias", self.d))
            for module, in_features, out_features in (("attn.c_attn", self.d, 3 * self.d),
                                                      ("attn.c_proj", self.d, self.d),
                                                      ("mlp.c_fc", self.d, inner),
                                                      ("mlp.c_proj", inner, self.d)):
                self._layer("transformer." + p + module, "conv1d", in_features, out_features, True,
                            key=stored + p + module)
        self.norms["ln_f"] = (self._vector(stored + "ln_f.weight", self.d), self._vector(stored + "ln_f.bias", self.d))
        self._lm_head(self.wte, c.get("tie_word_embeddings", True))

    def logits(self, ids):
        if len(ids) > len(self.wpe):
            raise UnsupportedInput("%d tokens, more than n_positions %d" % (len(ids), len(self.wpe)))
        head_dim = self.d // self.heads
        h = [[a + b for a, b in zip(self.wte[i], self.wpe[t])] for t, i in enumerate(ids)]
        for n in range(self.n_layer):
            p = "h.%d." % n
            c_attn, attn_proj, c_fc, mlp_proj = (self.layers["transformer." + p + m] for m in
                                                 ("attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"))
            scale = 1.0 / math.sqrt(head_dim) if self.config.get("scale_attn_weights", True) else 1.0
            if self.config.get("scale_attn_by_inverse_layer_idx", False):
                scale /= n + 1
            qkv = c_attn(layer_norm(h, *self.norms[p + "ln_1"], self.eps))
            q, k, v = ([row[i * self.d:(i + 1) * self.d] for row in qkv] for i in range(3))
            h = add(h, attn_proj(causal_attention(q, k, v, self.heads, self.heads, head_dim, scale)))
            x = c_fc(layer_norm(h, *self.norms[p + "ln_2"], self.eps))
            h = add(h, mlp_proj([[self.activation(a) for a in row] for row in x]))
        return self.layers["lm_head"](layer_norm(h, *self.norms["ln_f"], self.eps))


class Llama(CausalLM):
    """LlamaForCausalLM, and Qwen2ForCausalLM (qwen2=True: q/k/v biases)."""

    def __init__(self, checkpoint, qwen2):
        super().__init__(checkpoint)
        c = self.config
        if c.get("rope_scaling"):
            raise UnsupportedInput("rope_scaling %s is not computed by the reference" % c["rope_scaling"])
        if c.get("hidden_act", "silu") != "silu":
            raise UnsupportedInput("hidden_act %s is not computed by the reference" % c["hidden_act"])
        if qwen2 and c.get("use_sliding_window", False):
            raise UnsupportedInput("use_sliding_window is not computed by the reference")
        d, inner, vocab = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
        self.heads = c["num_attention_heads"]
        self.kv_heads = c.get("num_key_value_heads") or self.heads
        self.head_dim = c.get("head_dim") or d // self.heads
        self.eps = c.get("rms_norm_eps", 1e-6)
        self.theta = c.get("rope_theta", 10000.0)
        self.n_layer = c["num_hidden_layers"]
        qkv_bias = qwen2 or c.get("attention_bias", False)
        o_bias = not qwen2 and c.get("attention_bias", False)
        mlp_bias = not qwen2 and c.get("mlp_bias", False)
        self.embed = self._rows("model.embed_tokens.weight", [vocab, d])
        self.norms = {}
        q_out, kv_out = self.heads * self.head_dim, self.kv_heads * self.head_dim
        self._containers = ["model", "model.embed_tokens", "model.layers", "model.norm", "model.rotary_emb"]
        for n in range(self.n_layer):
            p = "model.layers.%d." % n
            self._containers += [p[:-1]] + [p + m for m in (
                "self_attn", "mlp", "mlp.act_fn", "input_layernorm", "post_attention_layernorm")]
            for norm in ("input_layernorm", "post_attention_layernorm"):
                self.norms[p + norm] = self._vector(p + norm + ".weight", d)
            for module, in_features, out_features, bias in (("self_attn.q_proj", d, q_out, qkv_bias),
                                                            ("self_attn.k_proj", d, kv_out, qkv_bias),
                                                            ("self_attn.v_proj", d, kv_out, qkv_bias),
                                                            ("self_attn.o_proj", q_out, d, o_bias),
                                                            ("mlp.gate_proj", d, inner, mlp_bias),
                                                            ("mlp.up_proj", d, inner, mlp_bias),
                                                            ("mlp.down_proj", inner, d, mlp_bias)):
                self._layer(p + module, "linear", in_features, out_features, bias)
        self.norms["model.norm"] = self._vector("model.norm.weight", d)
        self._lm_head(self.embed, c.get("tie_word_embeddings", False))

    def _rope(self, xs, heads):
        half = self.head_dim // 2
        inv_freq = [self.theta ** (-2.0 * i / self.head_dim) for i in range(half)]
        out = []
        for position, x in enumerate(xs):
            cos = [math.cos(position * f) for f in inv_freq]
            sin = [math.sin(position * f) for f in inv_freq]
            row = []
            for h in range(heads):
                head = x[h * self.head_dim:(h + 1) * self.head_dim]
                first, second = head[:half], head[half:]
                row += [a * c - b * s for a, b, c, s in zip(first, second, cos, sin)]
                row += [b * c + a * s for a, b, c, s in zip(first, second, cos, sin)]
            out.append(row)
        return out

    def logits(self, ids):
        h = [list(self.embed[i]) for i in ids]
        scale = 1.0 / math.sqrt(self.head_dim)
        for n in range(self.n_layer):
            p = "model.layers.%d." % n
            layer = self.layers
            x = rms_norm(h, self.norms[p + "input_layernorm"], self.eps)
            q = self._rope(layer[p + "self_attn.q_proj"](x), self.heads)
            k = self._rope(layer[p + "self_attn.k_proj"](x), self.kv_heads)
            v = layer[p + "self_attn.v_proj"](x)
            attended = causal_attention(q, k, v, self.heads, self.kv_heads, self.head_dim, scale)
            h = add(h, layer[p + "self_attn.o_proj"](attended))
            x = rms_norm(h, self.norms[p + "post_attention_layernorm"], self.eps)
            gate, up = layer[p + "mlp.gate_proj"](x), layer[p + "mlp.up_proj"](x)
            h = add(h, layer[p + "mlp.down_proj"]([[silu(g) * u for g, u in zip(gs, us)] for gs, us in zip(gate, up)]))
        return self.layers["lm_head"](rms_norm(h, self.norms["model.norm"], self.eps))


def load_causal_lm(folder):
    checkpoint = Checkpoint(folder)
    c = checkpoint.config
    architecture = (c.get("architectures") or [None])[0]
    model_type = c.get("model_type")
    if architecture == "GPT2LMHeadModel" or (architecture is None and model_type == "gpt2"):
        return Gpt2(checkpoint)
    if architecture == "LlamaForCausalLM" or (architecture is None and model_type == "llama"):
        return Llama(checkpoint, qwen2=False)
    if architecture == "Qwen2ForCausalLM" or (architecture is None and model_type == "qwen2"):
        return Llama(checkpoint, qwen2=True)
    raise UnsupportedInput("%s: architecture %s (model_type %s) is not one the reference computes"
                         % (folder, architecture, model_type))
