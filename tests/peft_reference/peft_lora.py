"""A PEFT LoRA adapter folder merged into a reference model (hf_causal_lm.py),
as PEFT (0.10-0.13) defines it; Python standard library only.

Written from PEFT's documented format and LoraConfig semantics, not from LoRA
Workbench's importer, so that it can check that importer and the exporter:

- Files: adapter_config.json and adapter_model.safetensors with, for each
  adapted module M (its name in the transformers model),
  base_model.model.M.lora_A.weight [r, in_features] and
  base_model.model.M.lora_B.weight [out_features, r].
- Which modules (check_target_module_exists): target_modules as a string is a
  regex that must match the whole module name; as a list, a module matches if
  its name equals an entry or ends with "." + entry. exclude_modules (newer
  PEFT) removes modules by the same rule. Only Linear / Conv1D layers can be
  adapted here; a target that names another module is refused, as PEFT does.
- Rank and alpha per module (LoraModel._create_and_replace): the first key of
  rank_pattern, then of alpha_pattern, for which re.match(".*\\." + key + "$",
  name) holds picks the entry (else the full module name is the key); r =
  rank_pattern.get(key, r), alpha = alpha_pattern.get(key, lora_alpha).
- scaling = lora_alpha / r, or lora_alpha / sqrt(r) with use_rslora.
- delta W = transpose(B @ A, fan_in_fan_out) * scaling (get_delta_weight), added
  to the stored weight (merge). fan_in_fan_out follows the layer as PEFT's
  dispatch forces it: true for GPT-2's Conv1D (weight [in, out]), false for
  nn.Linear; a config that says otherwise gets PEFT's warning and is overridden.
  Merging equals PEFT's unmerged forward, base(x) + B(A(x)) * scaling, in
  exact arithmetic; dropout is off at inference.

What this reference does not compute is refused by name (DoRA, bias training,
modules_to_save, layers_to_transform, layer_replication, lora_bias, embedding
LoRA), and a tensor that no targeted module explains, or a targeted module
without both tensors, is an error (PEFT would only warn and leave the module at
its initial B = 0: a silent no-op that a check must not pass).
"""
import json
import math
import os
import re
import sys

from hf_causal_lm import UnsupportedInput
from safetensors_file import SafetensorsFile

SAVED_PREFIX = "base_model.model."

# LoraConfig keys whose non-default value changes the computation in ways this
# reference does not implement.
_REFUSED = {
    "use_dora": (False, None),
    "bias": ("none", None),
    "modules_to_save": (None,),
    "layers_to_transform": (None,),
    "layer_replication": (None,),
    "lora_bias": (False, None),
}


def read_config(folder):
    path = os.path.join(folder, "adapter_config.json")
    with open(path) as f:
        config = json.load(f)
    if config.get("peft_type") != "LORA":
        raise UnsupportedInput("%s: peft_type %s, not LORA" % (path, config.get("peft_type")))
    for key, allowed in _REFUSED.items():
        if key in config and config[key] not in allowed and config[key] != []:
            raise UnsupportedInput("%s: %s = %s is not computed by the reference" % (path, key, config[key]))
    if config.get("target_modules") in (None, "all-linear"):
        raise UnsupportedInput("%s: target_modules %s is not resolved by the reference"
                               % (path, config.get("target_modules")))
    return config


def matches_rule(patterns, name):
    """PEFT's rule for target_modules and exclude_modules."""
    if not patterns:
        return False
    if isinstance(patterns, str):
        return re.fullmatch(patterns, name) is not None
    return name in patterns or any(name.endswith("." + key) for key in patterns)


def targeted_modules(config, model):
    """Adaptable layers that the config selects; a selected module that is not
    a Linear / Conv1D layer is refused."""
    def selected(name):
        return matches_rule(config["target_modules"], name) and not matches_rule(config.get("exclude_modules"), name)

    unsupported = [name for name in model.other_modules() if selected(name)]
    if unsupported:
        raise UnsupportedInput("target_modules selects modules that are not Linear / Conv1D layers: %s"
                               % ", ".join(unsupported))
    names = [name for name in model.layers if selected(name)]
    if not names:
        raise UnsupportedInput("target_modules %s matches no module of the model" % config["target_modules"])
    return names


def rank_and_alpha(config, name):
    rank_pattern = config.get("rank_pattern") or {}
    alpha_pattern = config.get("alpha_pattern") or {}
    keys = list(rank_pattern) + list(alpha_pattern)
    key = next((k for k in keys if re.match(r".*\.%s$" % k, name)), name)
    return rank_pattern.get(key, config["r"]), alpha_pattern.get(key, config["lora_alpha"])


def lora_scaling(alpha, rank, use_rslora):
    return alpha / math.sqrt(rank) if use_rslora else alpha / rank


def scaled_product(b_rows, a_rows, scale):
    """scale * B @ A, B [out][r], A [r][in]."""
    a_columns = list(zip(*a_rows))
    return [[scale * sum(x * y for x, y in zip(b_row, column)) for column in a_columns] for b_row in b_rows]


def merge_adapter(folder, model, break_scaling=False):
    """Adds every adapted module's delta W to `model`; returns {module: scaling}.
    break_scaling: use scaling 1 (a deliberately wrong reference, to show that
    a comparison notices)."""
    config = read_config(folder)
    weights_path = os.path.join(folder, "adapter_model.safetensors")
    if not os.path.exists(weights_path):
        raise UnsupportedInput("%s: no adapter_model.safetensors (the reference reads no .bin)" % folder)
    weights = SafetensorsFile(weights_path)
    modules = targeted_modules(config, model)
    expected = {SAVED_PREFIX + m + suffix for m in modules for suffix in (".lora_A.weight", ".lora_B.weight")}
    unexplained = sorted(set(weights.names()) - expected)
    missing = sorted(expected - set(weights.names()))
    if unexplained or missing:
        raise UnsupportedInput("%s: tensors without a targeted module: %s; targeted modules without tensors: %s"
                               % (weights_path, unexplained or "none", missing or "none"))
    scalings = {}
    for name in modules:
        layer = model.layers[name]
        rank, alpha = rank_and_alpha(config, name)
        a_key, b_key = SAVED_PREFIX + name + ".lora_A.weight", SAVED_PREFIX + name + ".lora_B.weight"
        if weights.shape(a_key) != [rank, layer.in_features] or weights.shape(b_key) != [layer.out_features, rank]:
            raise UnsupportedInput("%s: %s has A %s and B %s, expected A [%d, %d] and B [%d, %d] (r %d)"
                                   % (weights_path, name, weights.shape(a_key), weights.shape(b_key), rank,
                                      layer.in_features, layer.out_features, rank, rank))
        fan_in_fan_out = layer.kind == "conv1d"
        if config.get("fan_in_fan_out", False) != fan_in_fan_out:
            print("warning: %s is %s, fan_in_fan_out set to %s as PEFT does"
                  % (name, "Conv1D" if fan_in_fan_out else "nn.Linear", fan_in_fan_out), file=sys.stderr)
        scaling = 1.0 if break_scaling else lora_scaling(alpha, rank, config.get("use_rslora", False))
        delta = scaled_product(weights.tensor(b_key).rows(), weights.tensor(a_key).rows(), scaling)  # [out, in]
        layer.add_to_weight([list(column) for column in zip(*delta)] if fan_in_fan_out else delta)
        scalings[name] = scaling
    return scalings
