#!/usr/bin/env python3
"""A LoRA run on the Llama 2 tokenizer, exported to PEFT, loaded by peft.

Issue 21's last "must show", end to end as a researcher would do it:

1. transformers saves a small random LlamaForCausalLM whose vocabulary is
   Llama 2's (32000 ids, bos 1, eos 2; width 32, 2 layers, GQA) beside
   Llama 2's published tokenizer.json / tokenizer_config.json
   (../shared/vocab/llama2: SentencePiece-style BPE with byte fallback);
2. `lorawb train` runs LoRA (all seven Llama targets) for 12 steps on a small
   prompt/completion JSONL file with that folder as model.path, so lorawb
   encodes the data with the folder's tokenizer;
3. `lorawb export RUN --format peft` and `--format merged`;
4. Python loads the export with PeftModel.from_pretrained onto
   AutoModelForCausalLM.from_pretrained(the original folder) and scores a few
   English sentences tokenized by transformers' own AutoTokenizer.

Compared per token (log-probabilities from float32 logits, <= 1e-4):
PeftModel vs `lorawb score --adapter` (ids from AutoTokenizer), PeftModel vs
transformers on the merged export, and lorawb's own tokenization of the
sentences (`score --text-file`) against AutoTokenizer's ids. That it trained:
every exported lora_B is non-zero (PEFT initialises them at zero) and
PeftModel's log-probabilities differ from the base model's.

Teeth: the exported adapter_config.json with lora_alpha doubled and with
use_rslora flipped must make PeftModel disagree with lorawb.

Expected values: transformers / peft / tokenizers as printed at the start
(written against transformers 5.25.0, peft 0.21.2, tokenizers 0.23.3,
torch 2.13.0). Skipped (77) without the libraries or without
../shared/vocab/llama2 (its README: read the vocabularies from there, skip if
absent).

usage: check_llama2_lora.py PATH/TO/lorawb SOURCE_DIR   (exit 77: libraries or vocabulary missing)
"""
import json
import os
import shutil
import sys

import interop_common as common

# Llama 2's vocabulary and special ids (tokenizer_config.json: <unk> 0, <s> 1, </s> 2).
LLAMA2 = dict(vocab_size=32000, bos_token_id=1, eos_token_id=2, hidden_size=32, intermediate_size=64,
              num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-5,
              max_position_embeddings=128, tie_word_embeddings=False)
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

# What the run learns: a fixed answer per question, in plain English, so the
# SentencePiece pieces (▁ word starts, byte fallback for the accents) are real.
FACTS = [("the sky", "blue"), ("grass", "green"), ("snow", "white"), ("coal", "black"), ("a lemon", "yellow"),
         ("an orange", "orange"), ("a plum", "purple"), ("the sea", "blue"), ("a tomato", "red"),
         ("crème brûlée", "golden"), ("a flamingo", "pink"), ("chocolate", "brown")]

# Scored by both sides; none of them is in the training file.
SENTENCES = ["The quick brown fox jumps over the lazy dog.",
             "What colour is the moon? It is grey.",
             "Naïve café owners serve crème fraîche at 9:30 — twice a day!"]


def vocab_dir(source_dir):
    return os.path.join(os.path.dirname(os.path.abspath(source_dir)), "shared", "vocab", "llama2")


def write_dataset(path):
    with open(path, "w") as f:
        for thing, colour in FACTS:
            f.write(json.dumps({"prompt": f"What colour is {thing}? Answer:", "completion": f" {colour}."}) + "\n")


def write_config(path, model_folder, train_file):
    config = {
        "name": "llama2-lora", "seed": 7, "device": "cpu", "threads": 1,
        "model": {"path": model_folder},
        "data": {"source": "jsonl", "train_file": train_file, "eval_file": train_file, "tasks": [], "seq_len": 32},
        "adapter": {"variant": "lora", "r": 4, "alpha": 8, "dropout": 0.0, "targets": TARGETS},
        "training": {"steps": 12, "batch_size": 4, "lr": 0.02, "warmup_steps": 0},
        "eval": {"every": 0, "final": "off"},
    }
    with open(path, "w") as f:
        json.dump(config, f, indent=2)


def main():
    lorawb_path, source_dir = sys.argv[1], sys.argv[2]
    vocab = vocab_dir(source_dir)
    if not os.path.isfile(os.path.join(vocab, "tokenizer.json")):
        print(f"llama2 LoRA: skipped, {vocab} is missing")
        return common.SKIP
    torch = common.start("interop llama2 tokenizer LoRA -> PEFT")
    import tokenizers
    from safetensors.torch import load_file
    from transformers import AutoTokenizer
    print(f"tokenizers {tokenizers.__version__}")
    work = common.work_folder()
    lorawb = common.Lorawb(lorawb_path, source_dir, work)
    report = common.Report()

    base = os.path.join(work, "llama2-random")
    common.build_model("llama", 21, **LLAMA2).save_pretrained(base)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(vocab, name), base)
    tokenizer = AutoTokenizer.from_pretrained(base)
    if len(tokenizer) != LLAMA2["vocab_size"]:
        raise SystemExit(f"{vocab}: {len(tokenizer)} tokens, not Llama 2's {LLAMA2['vocab_size']}")

    train_file = os.path.join(work, "colours.jsonl")
    write_dataset(train_file)
    config = os.path.join(work, "llama2-lora.json")
    write_config(config, base, train_file)
    run = lorawb.train(config, "llama2-lora")
    peft = lorawb.export(run, "peft", "llama2-peft")
    merged = lorawb.export(run, "merged", "llama2-merged")

    # It trained: PEFT starts every lora_B at zero, and 12 steps at lr 0.02 move them.
    tensors = load_file(os.path.join(peft, "adapter_model.safetensors"))
    lora_b = {key: value for key, value in tensors.items() if "lora_B" in key}
    zero = [key for key, value in lora_b.items() if not bool(value.abs().max() > 0)]
    expected_count = LLAMA2["num_hidden_layers"] * len(TARGETS)
    trained = len(lora_b) == expected_count and not zero
    report.failed += 0 if trained else 1
    smallest = min(value.abs().max().item() for value in lora_b.values()) if lora_b else 0.0
    print(f"{'ok  ' if trained else 'FAIL'} trained: {len(lora_b)} lora_B tensors (want {expected_count}), "
          f"{len(zero)} all zero, smallest max |lora_B| {smallest:.2e}", flush=True)

    peft_model = common.load_peft(base, peft)
    base_model = common.load_causal_lm(base)
    merged_model = common.load_causal_lm(merged)
    for index, sentence in enumerate(SENTENCES):
        ids = tokenizer(sentence).input_ids  # AutoTokenizer: <s> first, as Llama 2 encodes
        case = f"sentence {index} ({len(ids)} tokens)"

        text_file = os.path.join(work, f"sentence-{index}.txt")
        with open(text_file, "w") as f:
            f.write(sentence)
        scored = json.loads(lorawb.call("score", "--model", base, "--text-file", text_file))["ids"]
        same = scored == ids
        report.failed += 0 if same else 1
        print(f"{'ok  ' if same else 'FAIL'} {case}: lorawb's ids {'equal' if same else 'differ from'} "
              f"AutoTokenizer's{'' if same else f' ({scored} vs {ids})'}", flush=True)

        with_peft = common.library_logprobs(peft_model, ids)
        report.compare(f"{case}: lorawb score --adapter vs PeftModel", lorawb.score(base, ids, peft), with_peft)
        report.compare(f"{case}: PeftModel vs transformers(merged export)", with_peft,
                       common.library_logprobs(merged_model, ids))
        without = common.library_logprobs(base_model, ids)
        moved = common.max_difference(with_peft, without)
        report.failed += 0 if moved > common.TOLERANCE else 1
        print(f"{'ok  ' if moved > common.TOLERANCE else 'FAIL'} {case}: the adapter moves log-probs by up to "
              f"{moved:.2e} (must exceed {common.TOLERANCE:g})", flush=True)

    ids = tokenizer(SENTENCES[0]).input_ids
    report.expect_scaling_edits_caught(
        "llama2-peft", peft, work,
        lambda broken: (common.library_logprobs(common.load_peft(base, broken), ids), lorawb.score(base, ids, peft)),
        where=" in the export, PeftModel vs lorawb")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
