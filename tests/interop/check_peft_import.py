#!/usr/bin/env python3
"""PEFT -> lorawb: LoRA folders that peft itself made load in lorawb and score as PeftModel does.

peft's get_peft_model puts a LoRA on a small random transformers model (lora_B
drawn non-zero, so every adapter changes the output) and save_pretrained
writes the folder. Then:

- `lorawb score --model BASE --adapter FOLDER --ids-file` against
  PeftModel.from_pretrained(base, FOLDER) on the same ids, per token to 1e-4,
  for target sets of each family (GPT-2's Conv1D c_attn / c_proj / c_fc with
  fan_in_fan_out, Llama's seven, Qwen2's attention or MLP, Phi-3's fused
  qkv_proj / gate_up_proj, Gemma 2's seven), rsLoRA on and off,
  rank_pattern / alpha_pattern (short keys and a whole module name),
  target_modules as a regular expression, and exclude_modules;
- `adapter.init_from: FOLDER` in a run config: a run on the saved base that
  starts from the folder and barely moves (1 step at lr 1e-9), exported as
  `--format merged`, scores as PeftModel on the original folder does.

Teeth: the folder lorawb reads, with lora_alpha doubled, with use_rslora
flipped, with one tensor key renamed (lorawb must refuse it), must fail.

Expected values: peft / transformers as printed at the start (written against
peft 0.21.2, transformers 5.25.0, torch 2.13.0).

usage: check_peft_import.py PATH/TO/lorawb SOURCE_DIR   (exit 77: libraries missing)
"""
import json
import os
import sys

import interop_common as common

GPT2 = dict(vocab_size=300, n_embd=32, n_layer=2, n_head=4, n_positions=64, layer_norm_epsilon=1e-5)
LLAMA = dict(vocab_size=280, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, rope_theta=500000.0, rms_norm_eps=1e-5, tie_word_embeddings=False,
             max_position_embeddings=64)
QWEN2 = dict(vocab_size=300, hidden_size=32, intermediate_size=56, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, rope_theta=1000000.0, rms_norm_eps=1e-6, tie_word_embeddings=True,
             max_position_embeddings=64)
PHI3 = dict(vocab_size=290, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, rms_norm_eps=1e-5, pad_token_id=0, max_position_embeddings=64,
            original_max_position_embeddings=64)
GEMMA2 = dict(vocab_size=300, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, head_dim=16, query_pre_attn_scalar=24, attn_logit_softcapping=3.0,
              final_logit_softcapping=4.0, sliding_window=7, max_position_embeddings=64)
LLAMA_ALL = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

# name, base, LoraConfig arguments
ADAPTERS = [
    ("gpt2-conv1d-rslora-patterns", "gpt2",
     dict(r=4, lora_alpha=8, target_modules=["c_attn", "c_proj", "c_fc"], fan_in_fan_out=True, use_rslora=True,
          rank_pattern={"h.1.mlp.c_fc": 2}, alpha_pattern={"attn.c_proj": 3})),
    ("gpt2-c_attn", "gpt2", dict(r=8, lora_alpha=4, target_modules=["c_attn"], fan_in_fan_out=True)),
    ("llama-all-patterns", "llama",
     dict(r=4, lora_alpha=8, target_modules=LLAMA_ALL, rank_pattern={"down_proj": 2},
          alpha_pattern={"model.layers.0.self_attn.q_proj": 32})),  # a whole module name: PEFT >= 0.13's rule
    ("llama-regex-rslora", "llama", dict(r=6, lora_alpha=3, target_modules=r".*\.(q_proj|v_proj)", use_rslora=True)),
    ("qwen2-attention-exclude", "qwen2",
     dict(r=4, lora_alpha=12, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"],
          exclude_modules=["model.layers.1.self_attn.k_proj"])),
    ("qwen2-mlp-rslora", "qwen2", dict(r=16, lora_alpha=8, target_modules=["gate_proj", "up_proj", "down_proj"],
                                        use_rslora=True)),
    # Phi-3's fused modules: one LoRA on qkv_proj covers q, k and v rows; gate_up_proj both halves.
    ("phi3-fused-patterns", "phi3",
     dict(r=4, lora_alpha=8, target_modules=["qkv_proj", "o_proj", "gate_up_proj", "down_proj"],
          rank_pattern={"gate_up_proj": 2}, alpha_pattern={"model.layers.1.self_attn.qkv_proj": 16})),
    ("gemma2-all-rslora", "gemma2", dict(r=4, lora_alpha=8, target_modules=LLAMA_ALL, use_rslora=True)),
]


def main():
    lorawb_path, source_dir = sys.argv[1], sys.argv[2]
    torch = common.start("interop PEFT -> lorawb")
    from peft import LoraConfig, get_peft_model
    work = common.work_folder()
    lorawb = common.Lorawb(lorawb_path, source_dir, work)
    report = common.Report()

    bases = {}
    for seed, (family, config) in enumerate([("gpt2", GPT2), ("llama", LLAMA), ("qwen2", QWEN2),
                                                 ("phi3", PHI3), ("gemma2", GEMMA2)]):
        folder = os.path.join(work, family)
        common.build_model(family, 100 + seed, **config).save_pretrained(folder)
        bases[family] = (folder, config["vocab_size"])

    def make_adapter(name, family, arguments, seed):
        folder, _ = bases[family]
        peft_model = get_peft_model(common.load_causal_lm(folder), LoraConfig(**arguments))
        common.randomize_lora_b(peft_model, seed)
        adapter = os.path.join(work, name)
        peft_model.save_pretrained(adapter)
        return adapter

    for seed, (name, family, arguments) in enumerate(ADAPTERS):
        def case(name=name, family=family, arguments=arguments, seed=seed):
            base, vocab = bases[family]
            adapter = make_adapter(name, family, arguments, seed)
            ids = common.random_token_ids(vocab, 40, seed)
            expected = common.library_logprobs(common.load_peft(base, adapter), ids)
            report.compare(f"{name}: PeftModel vs lorawb score --adapter", lorawb.score(base, ids, adapter), expected)

            report.expect_scaling_edits_caught(name, adapter, work,
                                               lambda broken: (lorawb.score(base, ids, broken), expected),
                                               where=" in the folder lorawb reads")

            def renamed_key():
                broken = common.copy_folder(adapter, f"{name}-keys", work)
                key = common.rename_tensor(os.path.join(broken, "adapter_model.safetensors"), "lora_B", "lora_b")
                print(f"     ({name}: {key} renamed)")
                return lorawb.score(base, ids, broken), expected
            report.expect_caught(f"{name}: a tensor key renamed", renamed_key)
        report.run(name, case)

    def init_from():
        # A run continues a PEFT folder: same r, alpha, rsLoRA and targets (adapter.init_from's rule).
        base, vocab = bases["llama"]
        arguments = dict(r=4, lora_alpha=8, target_modules=LLAMA_ALL, use_rslora=True)
        adapter = make_adapter("llama-init-from", "llama", arguments, 99)
        config = os.path.join(source_dir, "resources", "configs", "lora_default.json")
        run = lorawb.train(config, "init-from",
                           "--set", f"model={json.dumps({'path': base})}", "--set", f"adapter.init_from={adapter}",
                           "--set", "adapter.r=4", "--set", "adapter.alpha=8", "--set", "adapter.rslora=true",
                           "--set", f"adapter.targets={json.dumps(LLAMA_ALL)}", "--set", "adapter.dropout=0",
                           "--set", "training.steps=1", "--set", "training.lr=1e-9", "--set", "training.warmup_steps=0",
                           "--set", "training.batch_size=2", "--set", "eval.every=0", "--set", "threads=1",
                           "--set", "data.seq_len=32")
        merged = lorawb.export(run, "merged", "init-from-merged")
        ids = common.random_token_ids(vocab, 40, 99)
        expected = common.library_logprobs(common.load_peft(base, adapter), ids)
        report.compare("llama adapter.init_from: PeftModel vs the run's merged export in transformers",
                       common.library_logprobs(common.load_causal_lm(merged), ids), expected)
        report.compare("llama adapter.init_from: PeftModel vs lorawb score of the merged export",
                       lorawb.score(merged, ids), expected)
    report.run("init_from", init_from)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
