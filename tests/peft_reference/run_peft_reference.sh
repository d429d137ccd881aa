#!/usr/bin/env bash
# Issue 9 without transformers and PEFT: does `lorawb export --format base` +
# `--format peft`, loaded as PeftModel.from_pretrained would load them, give
# the log-probabilities that `lorawb score --model BASE --adapter PEFT` gives?
# The "PEFT" here is peft_reference.py (float64, standard library only).
#
# 0. The reference's own reading of PEFT's rules on hand-worked cases
#    (test_peft_rules.py: target matching, patterns, refusals, merge = forward).
# 1. The reference's base models against the float64 PyTorch logits of
#    tests/fixtures/hf (another author's implementation): 1e-6 relative.
# 2. For a tiny Llama (GQA, untied head, rope_theta 5e5, rsLoRA), a tiny Qwen2
#    (q/k/v biases, tied embeddings, attention targets only, the adapter in
#    bfloat16 and the base in float16) and a tiny GPT-2 (Conv1D, fan_in_fan_out,
#    layer_norm_epsilon 1e-4): train a few steps so that every lora_B is
#    non-zero, export base and PEFT, score a text with lorawb and the reference;
#    every token within 1e-4 (relative past |log p| 1). The same for the
#    `--format merged` export (W + s B A written by lorawb) scored alone, where
#    base and adapter were exported in float32 (llama, gpt2: the merged file
#    is float32 and would otherwise differ by the float16 rounding of the base).
# 3. GPT-2 again with an alpha_pattern edited into the adapter_config.json
#    (attn.c_proj and c_fc get other alphas; mlp.c_proj must not), and with
#    fan_in_fan_out false (PEFT forces it true on Conv1D: nothing may move).
# 4. Teeth: the reference without the adapter, and with LoRA scaling 1, must
#    disagree with lorawb (the printed differences show by how much).
#
# usage: run_peft_reference.sh PATH/TO/lorawb SOURCE_DIR
# Exit 77 (CTest: skipped) when python3 is missing; nothing else is skipped.
set -euo pipefail
lorawb="$1"
source_dir="$2"
here="$source_dir/tests/peft_reference"
if ! command -v python3 >/dev/null; then
  echo "python3 not found: the PEFT reference check is skipped"
  exit 77
fi
config="$source_dir/resources/configs/lora_default.json"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=0
run() { # run COMMAND...: count a failure, keep going
  "$@" || failed=$((failed + 1))
}

run python3 "$here/test_peft_rules.py"
run python3 "$here/check_hf_fixtures.py" "$source_dir/tests/fixtures/hf"

printf 'reverse: stone\nenots' >"$work/text.txt"
common=(--set training.steps=20 --set training.batch_size=4 --set training.warmup_steps=0 --set training.lr=0.01
        --set eval.every=0 --set threads=1 --db "$work/runs.db")
run_id=0

# train_and_check NAME BASE_DTYPE ADAPTER_DTYPE --set ...: one run, exported
# (to $base and $peft) and compared.
train_and_check() {
  local name="$1" base_dtype="$2" adapter_dtype="$3"
  shift 3
  run_id=$((run_id + 1))
  "$lorawb" train "$config" "${common[@]}" --set name="$name" --set training.output_dir="$work/$name" "$@" \
    >"$work/$name-train.txt" 2>&1 || { cat "$work/$name-train.txt"; echo "FAILED: $name: training"; exit 1; }
  local exports="$work/exports"
  "$lorawb" export "$run_id" --format base --dtype "$base_dtype" --out "$exports" --db "$work/runs.db" >/dev/null
  "$lorawb" export "$run_id" --format peft --dtype "$adapter_dtype" --out "$exports" --db "$work/runs.db" >/dev/null
  base="$exports/$name-run$run_id-base"
  peft="$exports/$name-run$run_id-peft"
  "$lorawb" score --model "$base" --adapter "$peft" --text-file "$work/text.txt" >"$work/$name-engine.json"
  python3 "$here/peft_reference.py" --model "$base" --adapter "$peft" --ids-of "$work/$name-engine.json" \
    >"$work/$name-reference.json"
  run python3 "$here/compare_scores.py" "$work/$name-engine.json" "$work/$name-reference.json" "$name: base + PEFT"
  if [ "$base_dtype$adapter_dtype" = float32float32 ]; then # merged is float32 W + s B A: same inputs only
    "$lorawb" export "$run_id" --format merged --out "$exports" --db "$work/runs.db" >/dev/null
    "$lorawb" score --model "$exports/$name-run$run_id-merged" --text-file "$work/text.txt" >"$work/$name-merged.json"
    run python3 "$here/compare_scores.py" "$work/$name-merged.json" "$work/$name-reference.json" "$name: merged export"
  fi
  python3 "$here/peft_reference.py" --model "$base" --ids-of "$work/$name-engine.json" >"$work/$name-base.json"
  run python3 "$here/compare_scores.py" "$work/$name-engine.json" "$work/$name-base.json" \
    "$name: the reference without the adapter is noticed" --expect-mismatch
  python3 "$here/peft_reference.py" --model "$base" --adapter "$peft" --ids-of "$work/$name-engine.json" \
    --break-scaling >"$work/$name-broken.json"
  run python3 "$here/compare_scores.py" "$work/$name-engine.json" "$work/$name-broken.json" \
    "$name: the reference with LoRA scaling 1 is noticed" --expect-mismatch
}

llama='{"preset": "llama-tiny", "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "intermediate_size": 64, "rope_theta": 500000}'
train_and_check llama float32 float32 --set model="$llama" --set adapter.rslora=true

qwen2='{"preset": "llama-tiny", "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "intermediate_size": 48, "attention_bias": true, "tie_word_embeddings": true,
        "rope_theta": 1000000, "norm_eps": 1e-6}'
train_and_check qwen2 float16 bfloat16 --set model="$qwen2" --set adapter.r=4 --set adapter.alpha=12 \
  --set 'adapter.targets=["q_proj", "k_proj", "v_proj", "o_proj"]'
grep -q Qwen2ForCausalLM "$base/config.json" || { echo "FAILED: qwen2 is not Qwen2"; failed=$((failed + 1)); }

gpt2='{"preset": "gpt2-tiny", "hidden_size": 32, "num_hidden_layers": 2, "intermediate_size": 64, "norm_eps": 1e-4}'
train_and_check gpt2 float32 float32 --set model="$gpt2" --set 'adapter.targets=["c_attn", "c_proj", "c_fc"]'

# alpha_pattern: PEFT's key "attn.c_proj" matches transformer.h.N.attn.c_proj
# (".*\.attn.c_proj$"), not mlp.c_proj; both sides must read it the same way.
patterned="$work/exports/gpt2-patterned"
cp -r "$peft" "$patterned"
python3 - "$patterned/adapter_config.json" <<'EOF'
import json, sys
with open(sys.argv[1]) as f:
    config = json.load(f)
config["alpha_pattern"] = {"attn.c_proj": 3 * config["lora_alpha"], "c_fc": config["lora_alpha"] / 2}
with open(sys.argv[1], "w") as f:
    f.write(json.dumps(config, indent=2, sort_keys=True) + "\n")
EOF
"$lorawb" score --model "$base" --adapter "$patterned" --text-file "$work/text.txt" >"$work/patterned-engine.json"
python3 "$here/peft_reference.py" --model "$base" --adapter "$patterned" --ids-of "$work/patterned-engine.json" \
  >"$work/patterned-reference.json"
run python3 "$here/compare_scores.py" "$work/patterned-engine.json" "$work/patterned-reference.json" \
  "gpt2 with alpha_pattern: base + PEFT"
run python3 "$here/compare_scores.py" "$work/patterned-engine.json" "$work/gpt2-reference.json" \
  "gpt2: the alpha_pattern changes the scores" --expect-mismatch

# fan_in_fan_out false on Conv1D layers: PEFT warns and sets it true (the layer
# decides), so the scores must not move on either side.
flipped="$work/exports/gpt2-flipped"
cp -r "$peft" "$flipped"
sed -i 's/"fan_in_fan_out": true/"fan_in_fan_out": false/' "$flipped/adapter_config.json"
"$lorawb" score --model "$base" --adapter "$flipped" --text-file "$work/text.txt" >"$work/flipped-engine.json"
python3 "$here/peft_reference.py" --model "$base" --adapter "$flipped" --ids-of "$work/flipped-engine.json" \
  >"$work/flipped-reference.json" 2>/dev/null
run python3 "$here/compare_scores.py" "$work/flipped-engine.json" "$work/flipped-reference.json" \
  "gpt2 with fan_in_fan_out false in the config: base + PEFT"
run python3 "$here/compare_scores.py" "$work/flipped-engine.json" "$work/gpt2-engine.json" \
  "gpt2: fan_in_fan_out false changes nothing (PEFT overrides it for Conv1D)" --tolerance 1e-6

echo "$failed failed"
test "$failed" -eq 0
