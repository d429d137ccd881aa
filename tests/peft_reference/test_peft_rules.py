"""The reference's reading of PEFT's rules, on hand-worked cases (no engine):
target_modules / exclude_modules matching, rank_pattern / alpha_pattern keys,
scaling, what is refused, and that a merged delta W equals the unmerged
forward base(x) + B(A x) * scaling for a Linear and for a Conv1D layer.

usage: python3 test_peft_rules.py   (unittest; exit 1 on a failure)
"""
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hf_causal_lm import Layer, UnsupportedInput  # noqa: E402
from peft_lora import (lora_scaling, matches_rule, rank_and_alpha, read_config, scaled_product,  # noqa: E402
                       targeted_modules)


class FakeModel:
    def __init__(self, layers, others):
        self.layers = {name: None for name in layers}
        self._others = others

    def other_modules(self):
        return self._others


GPT2_LAYERS = ["transformer.h.0.attn.c_attn", "transformer.h.0.attn.c_proj", "transformer.h.0.mlp.c_fc",
               "transformer.h.0.mlp.c_proj", "lm_head"]
GPT2_OTHERS = ["transformer", "transformer.h.0", "transformer.h.0.attn", "transformer.h.0.mlp", "transformer.wte"]


class TargetModules(unittest.TestCase):
    def test_list_entries_match_whole_names_or_dotted_suffixes(self):
        self.assertTrue(matches_rule(["c_proj"], "transformer.h.0.attn.c_proj"))
        self.assertTrue(matches_rule(["c_proj"], "transformer.h.0.mlp.c_proj"))
        self.assertTrue(matches_rule(["attn.c_proj"], "transformer.h.0.attn.c_proj"))
        self.assertFalse(matches_rule(["attn.c_proj"], "transformer.h.0.mlp.c_proj"))
        self.assertFalse(matches_rule(["proj"], "model.layers.0.self_attn.q_proj"))  # a suffix after a dot only
        self.assertTrue(matches_rule(["lm_head"], "lm_head"))

    def test_a_string_is_a_full_match_regex(self):
        self.assertTrue(matches_rule(r".*\.h\.0\..*c_attn", "transformer.h.0.attn.c_attn"))
        self.assertFalse(matches_rule(r"c_attn", "transformer.h.0.attn.c_attn"))

    def test_selection_and_exclusion(self):
        model = FakeModel(GPT2_LAYERS, GPT2_OTHERS)
        config = {"target_modules": ["c_proj", "c_attn"], "exclude_modules": ["mlp.c_proj"]}
        self.assertEqual(targeted_modules(config, model),
                         ["transformer.h.0.attn.c_attn", "transformer.h.0.attn.c_proj"])

    def test_a_target_that_is_not_a_linear_layer_is_refused(self):
        with self.assertRaises(UnsupportedInput):
            targeted_modules({"target_modules": ["attn"]}, FakeModel(GPT2_LAYERS, GPT2_OTHERS))
        with self.assertRaises(UnsupportedInput):
            targeted_modules({"target_modules": ["q_proj"]}, FakeModel(GPT2_LAYERS, GPT2_OTHERS))


class Patterns(unittest.TestCase):
    config = {"r": 8, "lora_alpha": 16, "rank_pattern": {"c_fc": 4}, "alpha_pattern": {"attn.c_proj": 2, "c_fc": 5}}

    def test_a_key_matches_a_dotted_suffix(self):
        self.assertEqual(rank_and_alpha(self.config, "transformer.h.0.attn.c_proj"), (8, 2))
        self.assertEqual(rank_and_alpha(self.config, "transformer.h.0.mlp.c_proj"), (8, 16))
        self.assertEqual(rank_and_alpha(self.config, "transformer.h.1.mlp.c_fc"), (4, 5))

    def test_the_full_module_name_is_the_fallback_key(self):
        config = {"r": 8, "lora_alpha": 16, "rank_pattern": {}, "alpha_pattern": {"transformer.h.0.mlp.c_fc": 3}}
        self.assertEqual(rank_and_alpha(config, "transformer.h.0.mlp.c_fc"), (8, 3))

    def test_the_first_matching_key_serves_rank_and_alpha(self):
        # PEFT 0.10-0.13 picks one key from rank_pattern's keys then alpha_pattern's.
        config = {"r": 8, "lora_alpha": 16, "rank_pattern": {"c_proj": 4}, "alpha_pattern": {"attn.c_proj": 2}}
        self.assertEqual(rank_and_alpha(config, "transformer.h.0.attn.c_proj"), (4, 16))

    def test_scaling(self):
        self.assertEqual(lora_scaling(16, 8, False), 2.0)
        self.assertEqual(lora_scaling(16, 4, True), 8.0)


class Refusals(unittest.TestCase):
    def read(self, **changes):
        config = {"peft_type": "LORA", "r": 4, "lora_alpha": 8, "target_modules": ["q_proj"], "use_dora": False,
                  "bias": "none", "modules_to_save": None, "layers_to_transform": None}
        config.update(changes)
        with tempfile.TemporaryDirectory() as folder:
            with open(os.path.join(folder, "adapter_config.json"), "w") as f:
                json.dump(config, f)
            return read_config(folder)

    def test_a_plain_lora_config_reads(self):
        self.assertEqual(self.read()["r"], 4)

    def test_what_the_reference_does_not_compute_is_refused(self):
        for change in ({"use_dora": True}, {"bias": "all"}, {"modules_to_save": ["lm_head"]},
                       {"layers_to_transform": [0]}, {"peft_type": "IA3"}, {"target_modules": "all-linear"}):
            with self.subTest(change=change), self.assertRaises(UnsupportedInput):
                self.read(**change)


class MergeEqualsForward(unittest.TestCase):
    """delta W = transpose(B A, fan_in_fan_out) * s merged into the stored weight
    gives PEFT's unmerged forward base(x) + s B(A x)."""

    a = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]  # [r=2, in=3]
    b = [[1.0, 2.0], [-0.5, 0.5], [0.0, 3.0], [2.0, -1.0]]  # [out=4, r=2]
    x = [0.3, -1.2, 0.7]
    s = 1.5

    def unmerged(self, base_output):
        ax = [sum(a * v for a, v in zip(row, self.x)) for row in self.a]
        return [y + self.s * sum(b * v for b, v in zip(row, ax)) for y, row in zip(base_output, self.b)]

    def check(self, kind, weight):
        layer = Layer(kind, weight, [0.1, 0.2, 0.3, 0.4])
        expected = self.unmerged(layer([self.x])[0])
        delta = scaled_product(self.b, self.a, self.s)
        layer.add_to_weight([list(c) for c in zip(*delta)] if kind == "conv1d" else delta)
        for got, want in zip(layer([self.x])[0], expected):
            self.assertAlmostEqual(got, want, places=12)

    def test_linear(self):
        self.check("linear", [[0.1 * (i + j) for j in range(3)] for i in range(4)])  # [out, in]

    def test_conv1d(self):
        self.check("conv1d", [[0.1 * (i - j) for j in range(4)] for i in range(3)])  # [in, out]

    def test_an_untransposed_conv1d_delta_does_not_fit(self):
        layer = Layer("conv1d", [[0.0] * 4 for _ in range(3)], None)
        with self.assertRaises(UnsupportedInput):
            layer.add_to_weight(scaled_product(self.b, self.a, self.s))


if __name__ == "__main__":
    unittest.main()
