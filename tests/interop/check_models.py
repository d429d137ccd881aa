#!/usr/bin/env python3
"""Models: transformers' own checkpoints of every model_type lorawb reads.

For each family the engine reads (engine/model/hf_checkpoint.cpp), transformers
builds a small random model from a config, saves it with save_pretrained
(safetensors, transformers' current config.json), and computes the
log-probabilities of random token ids; `lorawb score --ids-file` on the saved
folder must agree per token to 1e-4 (float32 on both sides). The same again
with a PEFT LoRA on every linear layer (PeftModel, lora_B drawn non-zero).
The configs vary what a reader can get wrong: grouped-query and multi-query
heads, tied and untied embeddings, rope_theta, Qwen2's q/k/v biases,
layer_norm_epsilon / rms_norm_eps, n_inner absent or set; Llama 3.1 and
linear rope scaling; Mistral's sliding window shorter than the sequence;
Qwen3's q/k norms with head_dim != hidden / heads (and its windowed layers);
Gemma's GeGLU, (1 + w) norms and scaled embeddings; Gemma 2's sandwich norms,
soft-capping (caps small enough to matter), query_pre_attn_scalar and
alternating windows; Phi-3's fused projections, partial rotary and window;
GPT-NeoX's per-head query_key_value, LayerNorms, partial rotary (its 0.25
default and 0.5), parallel and sequential residuals, erf and tanh gelu.

Teeth: a copy of each folder with one value broken must fail: the rotary base
(rope_parameters.rope_theta, where transformers 5 keeps it) or GPT-2's
layer_norm_epsilon changed, and one weight's key renamed; where a case tests a
rope scaling, window or cap, that value changed too (EXTRA_TEETH).

Expected values: transformers and peft as printed at the start (written
against transformers 5.25.0, peft 0.21.2, torch 2.13.0).

usage: check_models.py PATH/TO/lorawb SOURCE_DIR   (exit 77: libraries missing)
"""
import os
import sys

import interop_common as common

# name, family, config: each line varies what the loader must honour.
MODELS = [
    ("gpt2-tied", "gpt2", dict(vocab_size=300, n_embd=32, n_layer=2, n_head=4, n_positions=64,
                               layer_norm_epsilon=1e-4)),  # n_inner None: 4 x n_embd
    ("gpt2-untied", "gpt2", dict(vocab_size=270, n_embd=32, n_layer=2, n_head=2, n_inner=48, n_positions=64,
                                 layer_norm_epsilon=1e-3, tie_word_embeddings=False)),
    ("llama-gqa", "llama", dict(vocab_size=263, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                                num_attention_heads=4, num_key_value_heads=2, rope_theta=500000.0,
                                rms_norm_eps=1e-5, tie_word_embeddings=False, max_position_embeddings=64)),
    ("llama-tied", "llama", dict(vocab_size=300, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                 num_attention_heads=8, num_key_value_heads=8, rms_norm_eps=1e-6,
                                 tie_word_embeddings=True, max_position_embeddings=64)),  # rope_theta default
    ("qwen2-gqa", "qwen2", dict(vocab_size=320, hidden_size=32, intermediate_size=56, num_hidden_layers=2,
                                num_attention_heads=4, num_key_value_heads=2, rope_theta=1000000.0,
                                rms_norm_eps=1e-6, tie_word_embeddings=True, max_position_embeddings=64)),
    ("qwen2-mqa", "qwen2", dict(vocab_size=290, hidden_size=32, intermediate_size=40, num_hidden_layers=3,
                                num_attention_heads=4, num_key_value_heads=1, rope_theta=20000.0,
                                rms_norm_eps=1e-5, tie_word_embeddings=False, max_position_embeddings=64)),
    # Llama 3.1's rope scaling: with head_dim 8 and original 64 the wavelengths
    # (6.3, 63, 628, 6283) fall in each branch: kept, smoothed, divided.
    ("llama3-rope", "llama", dict(vocab_size=280, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                                  num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-5,
                                  max_position_embeddings=256, tie_word_embeddings=False,
                                  rope_parameters=dict(rope_type="llama3", rope_theta=10000.0, factor=8.0,
                                                       low_freq_factor=1.0, high_freq_factor=4.0,
                                                       original_max_position_embeddings=64))),
    ("llama-linear-rope", "llama", dict(vocab_size=270, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                                        num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=128,
                                        rope_parameters=dict(rope_type="linear", rope_theta=10000.0, factor=4.0))),
    # A window of 8 over 40 tokens: most queries lose keys to it.
    ("mistral-window", "mistral", dict(vocab_size=300, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                                       num_attention_heads=4, num_key_value_heads=2, sliding_window=8,
                                       rms_norm_eps=1e-5, max_position_embeddings=64)),
    # head_dim 16 != 32 / 4; q_norm / k_norm per head.
    ("qwen3", "qwen3", dict(vocab_size=310, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                            num_attention_heads=4, num_key_value_heads=2, head_dim=16, rope_theta=1000000.0,
                            rms_norm_eps=1e-6, tie_word_embeddings=True, max_position_embeddings=64)),
    # Sliding window from layer 1 on (max_window_layers 1), attention biases on q/k/v/o.
    ("qwen3-window", "qwen3", dict(vocab_size=290, hidden_size=32, intermediate_size=40, num_hidden_layers=2,
                                   num_attention_heads=2, num_key_value_heads=1, head_dim=24, attention_bias=True,
                                   use_sliding_window=True, sliding_window=6, max_window_layers=1,
                                   tie_word_embeddings=False, max_position_embeddings=64)),
    ("gemma", "gemma", dict(vocab_size=300, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                            num_attention_heads=4, num_key_value_heads=1, head_dim=16, rms_norm_eps=1e-6,
                            max_position_embeddings=64)),
    # Caps small enough to bite on these scores; windowed layers 0 and 2.
    ("gemma2", "gemma2", dict(vocab_size=320, hidden_size=32, intermediate_size=48, num_hidden_layers=3,
                              num_attention_heads=4, num_key_value_heads=2, head_dim=16, query_pre_attn_scalar=24,
                              attn_logit_softcapping=3.0, final_logit_softcapping=4.0, sliding_window=7,
                              rms_norm_eps=1e-6, max_position_embeddings=64)),
    ("phi3", "phi3", dict(vocab_size=300, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                          num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-5, pad_token_id=0,
                          max_position_embeddings=64, original_max_position_embeddings=64)),
    ("phi3-partial-window", "phi3", dict(vocab_size=280, hidden_size=32, intermediate_size=40, num_hidden_layers=2,
                                         num_attention_heads=2, num_key_value_heads=2, sliding_window=9,
                                         partial_rotary_factor=0.5, tie_word_embeddings=True, pad_token_id=0,
                                         max_position_embeddings=64, original_max_position_embeddings=64)),
    # Pythia's shape: rotary on a quarter of each 16-wide head (rotary_pct's
    # default), parallel residuals, erf gelu, biases, untied embed_out.
    ("gpt-neox", "gpt_neox", dict(vocab_size=300, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                                  num_attention_heads=2, layer_norm_eps=1e-5, max_position_embeddings=64)),
    # Sequential residuals, half of each head rotated, no attention biases,
    # the tanh gelu, tied embeddings, 3 layers.
    ("gpt-neox-sequential", "gpt_neox", dict(vocab_size=280, hidden_size=32, intermediate_size=40, num_hidden_layers=3,
                                             num_attention_heads=4, use_parallel_residual=False,
                                             attention_bias=False, hidden_act="gelu_new", layer_norm_eps=1e-4,
                                             tie_word_embeddings=True, max_position_embeddings=64,
                                             rope_parameters=dict(rope_type="default", rope_theta=10000.0,
                                                                  partial_rotary_factor=0.5))),
]

# What else each case's config must be read for: (what, change of config.json)
# whose copy must then score differently.
EXTRA_TEETH = {
    "llama3-rope": ("rope_parameters.low_freq_factor 2", lambda c: c["rope_parameters"].update(low_freq_factor=2.0)),
    "llama-linear-rope": ("rope_parameters.factor 2", lambda c: c["rope_parameters"].update(factor=2.0)),
    "mistral-window": ("sliding_window 16", lambda c: c.update(sliding_window=16)),
    "qwen3-window": ("layer_types all full", lambda c: c.update(layer_types=["full_attention"] * 2)),
    "gemma2": ("attn_logit_softcapping 30", lambda c: c.update(attn_logit_softcapping=30.0)),
    "phi3-partial-window": ("sliding_window 20", lambda c: c.update(sliding_window=20)),
    "gpt-neox": ("use_parallel_residual false", lambda c: c.update(use_parallel_residual=False)),
    "gpt-neox-sequential": ("rope_parameters.partial_rotary_factor 1",
                            lambda c: c["rope_parameters"].update(partial_rotary_factor=1.0)),
}


def main():
    lorawb_path, source_dir = sys.argv[1], sys.argv[2]
    torch = common.start("interop models")
    from peft import LoraConfig, get_peft_model
    work = common.work_folder()
    lorawb = common.Lorawb(lorawb_path, source_dir, work)
    report = common.Report()

    for index, (name, family, config) in enumerate(MODELS):
        def case(name=name, family=family, config=config, seed=index):
            folder = os.path.join(work, name)
            common.build_model(family, seed, **config).save_pretrained(folder)
            ids = common.random_token_ids(config["vocab_size"], 40, seed)
            expected = common.library_logprobs(common.load_causal_lm(folder), ids)
            report.compare(f"{name}: transformers vs lorawb score", lorawb.score(folder, ids), expected)

            # A LoRA on every linear layer but the head (GPT-2: its Conv1D layers).
            peft_model = get_peft_model(common.load_causal_lm(folder),
                                        LoraConfig(r=4, lora_alpha=8, target_modules="all-linear"))
            common.randomize_lora_b(peft_model, seed)
            adapter = os.path.join(work, name + "-lora")
            peft_model.save_pretrained(adapter)
            with_adapter = common.library_logprobs(common.load_peft(folder, adapter), ids)
            report.compare(f"{name} + LoRA (all-linear): PeftModel vs lorawb score --adapter",
                           lorawb.score(folder, ids, adapter), with_adapter)

            def broken_config():
                broken = common.copy_folder(folder, name + "-config", work)
                if family == "gpt2":
                    what = "layer_norm_epsilon 0.1"
                    change = lambda c: c.update(layer_norm_epsilon=0.1)
                else:
                    theta = 10000.0 if config.get("rope_theta", 10000.0) != 10000.0 else 500000.0
                    what = f"rope_parameters.rope_theta {theta:g}"
                    change = lambda c: c["rope_parameters"].update(rope_theta=theta)
                common.edit_json(os.path.join(broken, "config.json"), change)
                print(f"     ({name}: config.json read with {what})")
                return lorawb.score(broken, ids), expected
            report.expect_caught(f"{name}: a config value changed", broken_config)

            if name in EXTRA_TEETH:
                what, change = EXTRA_TEETH[name]

                def broken_extra():
                    broken = common.copy_folder(folder, name + "-extra", work)
                    common.edit_json(os.path.join(broken, "config.json"), change)
                    print(f"     ({name}: config.json read with {what})")
                    return lorawb.score(broken, ids), expected
                report.expect_caught(f"{name}: {what}", broken_extra)

            def renamed_key():
                broken = common.copy_folder(folder, name + "-keys", work)
                key = common.rename_tensor(os.path.join(broken, "model.safetensors"), ".0.", ".00.")
                print(f"     ({name}: {key} renamed)")
                return lorawb.score(broken, ids), expected
            report.expect_caught(f"{name}: a weight's key renamed", renamed_key)
        report.run(name, case)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
