#!/usr/bin/env python3
"""Models: transformers' own GPT-2, Llama and Qwen2 checkpoints, read by lorawb.

For each family the engine reads (engine/model/hf_checkpoint.cpp), transformers
builds a small random model from a config, saves it with save_pretrained
(safetensors, transformers' current config.json), and computes the
log-probabilities of random token ids; `lorawb score --ids-file` on the saved
folder must agree per token to 1e-4 (float32 on both sides). The same again
with a PEFT LoRA on every linear layer (PeftModel, lora_B drawn non-zero).
The configs vary what a reader can get wrong: grouped-query and multi-query
heads, tied and untied embeddings, rope_theta, Qwen2's q/k/v biases,
layer_norm_epsilon / rms_norm_eps, n_inner absent or set.

Teeth: a copy of each folder with one value broken must fail: the rotary base
(rope_parameters.rope_theta, where transformers 5 keeps it) or GPT-2's
layer_norm_epsilon changed, and one weight's key renamed.

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
]


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
