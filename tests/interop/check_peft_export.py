#!/usr/bin/env python3
"""lorawb -> PEFT: a workbench run's exports, loaded by transformers and peft.

Tiny runs are trained with `lorawb train` (width 32, 2 layers, 20 steps at lr
0.01, so every lora_B is far from zero) in a temporary run store, then
exported with `lorawb export --format base | peft | merged`. For each run:

- PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), peft)
  and AutoModelForCausalLM.from_pretrained(merged) agree per token (the
  merged file is lorawb's W + s B A, computed from the trained model, not
  from the PEFT files), and peft uses exactly the tensors in the file;
- `lorawb score --adapter peft` agrees with PeftModel, and `lorawb score` on
  the merged folder with transformers on it; all within 1e-4 (float32).

Runs: a Llama (GQA, untied head, rope_theta 5e5, rsLoRA, all seven targets),
a Qwen2 whose base is a transformers-saved folder (q/k/v biases, tied
embeddings, rope_theta 1e6; attention targets, r 4 alpha 12; also base
exported as float16 with the adapter as bfloat16), a GPT-2 (Conv1D targets,
fan_in_fan_out, layer_norm_epsilon 1e-4), and ResLoRA runs (variants is and
bs: their PEFT export is the plain LoRA their shortcuts merge into; bs needs
rank_pattern / alpha_pattern); and runs on transformers-saved bases of the
other model types: Phi-3 (its fused qkv_proj / gate_up_proj targets), Gemma 2
(soft-capping, windows; also base bfloat16 + adapter float16), Qwen3 (q/k
norms, head_dim 16, rsLoRA), Mistral (window 8 < seq_len 32), a Llama with
llama3 rope scaling and a GPT-NeoX (per-head query_key_value, dense,
dense_h_to_4h, dense_4h_to_h; also base float16 + adapter bfloat16). SiRA has no LoRA equivalent (tokens are routed
to different experts; engine/export/README.md), so only its per-expert PEFT
folders (`--expert-folders`: expert e alone with gate 1) are checked: PeftModel
and `lorawb score --adapter` agree on one.

Teeth: the exported adapter_config.json with lora_alpha doubled, with
use_rslora flipped, and the exported safetensors with one key renamed must
make PeftModel disagree with the merged export (or refuse the file).

Expected values: peft / transformers as printed at the start (written against
peft 0.21.2, transformers 5.25.0, torch 2.13.0).

usage: check_peft_export.py PATH/TO/lorawb SOURCE_DIR   (exit 77: libraries missing)
"""
import json
import os
import sys

import interop_common as common

COMMON_SETS = ["training.steps=20", "training.batch_size=4", "training.warmup_steps=0", "training.lr=0.01",
               "eval.every=0", "threads=1", "data.seq_len=32"]
LLAMA = {"preset": "llama-tiny", "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
         "num_key_value_heads": 2, "intermediate_size": 64, "rope_theta": 500000}
GPT2 = {"preset": "gpt2-tiny", "hidden_size": 32, "num_hidden_layers": 2, "intermediate_size": 64, "norm_eps": 1e-4}
QWEN2 = dict(vocab_size=300, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, rope_theta=1000000.0, rms_norm_eps=1e-6, tie_word_embeddings=True,
             max_position_embeddings=64)
# Transformers-saved bases of the other model types, each trained on its own
# PEFT module names (Phi-3's fused qkv_proj / gate_up_proj).
HF_BASES = {
    "phi3": dict(vocab_size=300, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, rms_norm_eps=1e-5, pad_token_id=0, max_position_embeddings=64,
                 original_max_position_embeddings=64),
    "gemma2": dict(vocab_size=300, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
                   num_key_value_heads=2, head_dim=16, query_pre_attn_scalar=24, attn_logit_softcapping=3.0,
                   final_logit_softcapping=4.0, sliding_window=7, max_position_embeddings=64),
    "qwen3": dict(vocab_size=300, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, head_dim=16, tie_word_embeddings=True, max_position_embeddings=64),
    "mistral": dict(vocab_size=300, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
                    num_key_value_heads=2, sliding_window=8, max_position_embeddings=64),
    "llama3": dict(vocab_size=300, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
                   num_key_value_heads=2, max_position_embeddings=256,
                   rope_parameters=dict(rope_type="llama3", rope_theta=10000.0, factor=8.0, low_freq_factor=1.0,
                                        high_freq_factor=4.0, original_max_position_embeddings=64)),
    "gpt_neox": dict(vocab_size=300, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=2,
                     max_position_embeddings=64),
}


def sets(*pairs):
    out = []
    for pair in list(COMMON_SETS) + list(pairs):
        out += ["--set", pair]
    return out


def main():
    lorawb_path, source_dir = sys.argv[1], sys.argv[2]
    torch = common.start("interop lorawb -> PEFT")
    work = common.work_folder()
    lorawb = common.Lorawb(lorawb_path, source_dir, work)
    report = common.Report()
    configs = os.path.join(source_dir, "resources", "configs")

    qwen2_base = os.path.join(work, "qwen2-hf")
    common.build_model("qwen2", 7, **QWEN2).save_pretrained(qwen2_base)
    hf_bases = {}
    for seed, (name, config) in enumerate(HF_BASES.items()):
        hf_bases[name] = os.path.join(work, name + "-hf")
        family = "llama" if name == "llama3" else name
        common.build_model(family, 20 + seed, **config).save_pretrained(hf_bases[name])

    def check_run(name, config, run_sets, dtypes=None):
        run = lorawb.train(os.path.join(configs, config), name, *sets(*run_sets))
        base = lorawb.export(run, "base", f"{name}-base")
        peft = lorawb.export(run, "peft", f"{name}-peft")
        merged = lorawb.export(run, "merged", f"{name}-merged")
        vocab = json.load(open(os.path.join(base, "config.json")))["vocab_size"]
        ids = common.random_token_ids(vocab, 40, run)
        with_peft = common.library_logprobs(common.load_peft(base, peft), ids)
        from_merged = common.library_logprobs(common.load_causal_lm(merged), ids)
        report.compare(f"{name}: PeftModel(base, peft export) vs transformers(merged export)", with_peft, from_merged)
        report.compare(f"{name}: lorawb score --adapter vs PeftModel", lorawb.score(base, ids, peft), with_peft)
        report.compare(f"{name}: lorawb score merged vs transformers(merged)", lorawb.score(merged, ids), from_merged)
        if dtypes:  # the same adapter in other dtypes: both sides read the same rounded numbers
            base_dtype, adapter_dtype = dtypes
            base_low = lorawb.export(run, "base", f"{name}-base-{base_dtype}", "--dtype", base_dtype)
            peft_low = lorawb.export(run, "peft", f"{name}-peft-{adapter_dtype}", "--dtype", adapter_dtype)
            report.compare(f"{name}: base {base_dtype} + adapter {adapter_dtype}: lorawb score vs PeftModel",
                           lorawb.score(base_low, ids, peft_low),
                           common.library_logprobs(common.load_peft(base_low, peft_low), ids))

        report.expect_scaling_edits_caught(
            name, peft, work, lambda broken: (common.library_logprobs(common.load_peft(base, broken), ids), from_merged),
            where=" in the export, PeftModel vs merged")

        def renamed_key():
            broken = common.copy_folder(peft, f"{name}-keys", work)
            key = common.rename_tensor(os.path.join(broken, "adapter_model.safetensors"), ".0.", ".00.")
            print(f"     ({name}: {key} renamed)")
            return common.library_logprobs(common.load_peft(base, broken), ids), from_merged
        report.expect_caught(f"{name}: a tensor key renamed in the export", renamed_key)

    llama_targets = '["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]'
    runs = [
        ("llama", "lora_default.json", [f"model={json.dumps(LLAMA)}", "adapter.rslora=true"], None),
        ("qwen2", "lora_default.json",
         [f"model={json.dumps({'path': qwen2_base})}", "adapter.r=4", "adapter.alpha=12",
          'adapter.targets=["q_proj", "k_proj", "v_proj", "o_proj"]'], ("float16", "bfloat16")),
        ("gpt2", "lora_default.json", [f"model={json.dumps(GPT2)}", 'adapter.targets=["c_attn", "c_proj", "c_fc"]'],
         None),
        ("reslora-is", "reslora_default.json", [f"model={json.dumps(LLAMA)}", f"adapter.targets={llama_targets}"],
         None),
        ("reslora-bs", "reslora_default.json",
         [f"model={json.dumps(LLAMA)}", "adapter.reslora.variant=bs", 'adapter.targets=["q_proj", "v_proj"]'], None),
    ]
    runs += [
        ("phi3", "lora_default.json", [f"model={json.dumps({'path': hf_bases['phi3']})}",
                                        'adapter.targets=["qkv_proj", "o_proj", "gate_up_proj", "down_proj"]'], None),
        ("gemma2", "lora_default.json", [f"model={json.dumps({'path': hf_bases['gemma2']})}",
                                          f"adapter.targets={llama_targets}"], ("bfloat16", "float16")),
        ("qwen3", "lora_default.json", [f"model={json.dumps({'path': hf_bases['qwen3']})}", "adapter.rslora=true",
                                         f"adapter.targets={llama_targets}"], None),
        ("mistral", "lora_default.json", [f"model={json.dumps({'path': hf_bases['mistral']})}",
                                           'adapter.targets=["q_proj", "v_proj", "down_proj"]'], None),
        ("llama3-rope", "lora_default.json", [f"model={json.dumps({'path': hf_bases['llama3']})}",
                                               f"adapter.targets={llama_targets}"], None),
        ("gpt-neox", "lora_default.json", [f"model={json.dumps({'path': hf_bases['gpt_neox']})}",
                                            'adapter.targets=["query_key_value", "dense", "dense_h_to_4h", '
                                            '"dense_4h_to_h"]'], ("float16", "bfloat16")),
    ]
    for name, config, run_sets, dtypes in runs:
        report.run(name, lambda: check_run(name, config, run_sets, dtypes))

    def sira_experts():
        run = lorawb.train(os.path.join(configs, "sira_default.json"), "sira",
                           *sets(f"model={json.dumps(LLAMA)}", "adapter.sira.experts=4",
                                 'adapter.targets=["q_proj", "v_proj", "down_proj"]'))
        base = lorawb.export(run, "base", "sira-base")
        bundle = lorawb.export(run, "bundle", "sira-bundle", "--expert-folders")
        expert = os.path.join(bundle, "experts", "expert-01")
        ids = common.random_token_ids(json.load(open(os.path.join(base, "config.json")))["vocab_size"], 40, run)
        expected = common.library_logprobs(common.load_peft(base, expert), ids)
        report.compare("sira: expert-01 folder: lorawb score --adapter vs PeftModel",
                       lorawb.score(base, ids, expert), expected)
    report.run("sira", sira_experts)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
