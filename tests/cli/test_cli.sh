#!/usr/bin/env bash
# lorawb end to end, as a person uses it from a shell: --version, validate
# (every error at once, non-zero exit), train with --set, Ctrl-C stops after
# the current step leaving a checkpoint and a resume hint, the resumed run
# finishes, and both runs are in the run store; `lorawb export` writes the
# finished run as PEFT / merged folders (safe names, --force, SHA-256 recorded
# as artifacts) and adapter.init_from accepts the PEFT folder; tokenize, score
# and generate inspect the exported models.
# usage: test_cli.sh PATH/TO/lorawb SOURCE_DIR
set -euo pipefail
lorawb="$1"
source_dir="$2"
config="$source_dir/resources/configs/lora_default.json"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
db="$work/runs.db"
passed=0
failed=0
check() { # check NAME COMMAND...
  if "${@:2}"; then passed=$((passed + 1)); echo "ok: $1"; else failed=$((failed + 1)); echo "FAILED: $1"; fi
}

"$lorawb" --version >"$work/version.txt"
check "--version names LibTorch and CUDA" grep -q "LibTorch .*CUDA" "$work/version.txt"

check "the default config validates" "$lorawb" validate "$config"

# One parser (CLI11) for every command: help lists them all, usage errors exit 2
# and name the command, failures of the command itself exit 1.
"$lorawb" --help >"$work/help.txt"
for command in validate train pretrain runs export dlp data study tokenize score generate eval inspect; do
  check "lorawb --help lists $command" grep -q "^  $command" "$work/help.txt"
done
"$lorawb" runs --help >"$work/runs_help.txt"
check "lorawb runs --help lists its commands" grep -q "^  compare" "$work/runs_help.txt"
usage_status() { # usage_status EXPECTED WORDS...: the exit status and the message's command
  local expected="$1"; shift
  set +e; "$lorawb" "$@" >"$work/usage.txt" 2>&1; local got=$?; set -e
  [ "$got" -eq "$expected" ] || { echo "lorawb $* exited $got, not $expected:"; cat "$work/usage.txt"; return 1; }
}
check "no command is a usage error (2)" usage_status 2
check "an unknown command exits 2" usage_status 2 frobnicate
check "a missing CONFIG.json exits 2" usage_status 2 train
check "the message names the command and the argument" grep -q "lorawb train: CONFIG.json is required" "$work/usage.txt"
check "an unknown option exits 2" usage_status 2 validate "$config" --colour
check "--db and --no-db together exit 2" usage_status 2 train "$config" --db x.db --no-db
check "a run id that is not a number exits 2" usage_status 2 export abc --format peft
check "a missing config file exits 1" usage_status 1 validate "$work/absent.json"
# The model commands are CLI11 commands like the rest: their usage errors exit 2 too.
check "generate without --prompt exits 2" usage_status 2 generate --model builtin:lexicon-base
check "score without a text or ids file exits 2" usage_status 2 score --model builtin:lexicon-base
check "tokenize --input with --decode exits 2" usage_status 2 tokenize --tokenizer byte --input jsonl --decode keep
check "an out-of-range --top-p exits 2" usage_status 2 generate --model builtin:lexicon-base --prompt a --top-p 2
check "the message names the option" grep -q "lorawb generate: --top-p" "$work/usage.txt"
check "inspect with an unknown option exits 2" usage_status 2 inspect builtin:lexicon-base --colour
check "--set=KEY=VALUE is one override" "$lorawb" validate "$config" --set=training.lr=1e-3

set +e
"$lorawb" validate "$config" --set training.lr=-1 --set bogus=1 --set adapter.r=abc >"$work/bad.txt" 2>&1
status=$?
set -e
check "an invalid config exits non-zero" test "$status" -ne 0
check "every error is reported at once" grep -q "3 problem(s)" "$work/bad.txt"
check "errors carry their JSON path" grep -q "training.lr: must be > 0" "$work/bad.txt"
check "unknown keys are named" grep -q "bogus: unknown key" "$work/bad.txt"

# A small, slow-enough run to interrupt: the GPT-2 preset cut to 2 layers
# (its Conv1D layers are what the PEFT export below checks), many steps.
gpt2=(--set 'model={"preset": "gpt2-tiny", "num_hidden_layers": 2, "hidden_size": 64}'
      --set 'adapter.targets=["c_attn", "c_proj", "c_fc"]')
small=("${gpt2[@]}" --set training.batch_size=4
       --set training.steps=400 --set eval.every=0 --set threads=1 --set training.output_dir="$work/out"
       --db "$db")
"$lorawb" train "$config" "${small[@]}" >"$work/train.txt" 2>&1 &
pid=$!
# Ctrl-C once step 20 is printed: grep reads the log as tail follows it and
# returns at that line (or when lorawb ends early and tail with it). No sleep
# and no deadline of ours; a run that never gets there hits CTest's timeout.
grep -q -m1 "^step 20/" < <(tail -n +1 -f --pid="$pid" "$work/train.txt") || true
kill -INT "$pid" || true
set +e
wait "$pid"
status=$?
set -e
check "Ctrl-C exits with 130" test "$status" -eq 130
check "Ctrl-C leaves a checkpoint" test -f "$work/out/checkpoints/latest"
check "the resume command is printed" grep -q "resume with: lorawb train" "$work/train.txt"

"$lorawb" train "$config" "${small[@]}" --set training.resume_from="$work/out" >"$work/resume.txt" 2>&1
check "the resumed run says where it resumed" grep -q "resumed at step" "$work/resume.txt"
check "the resumed run finishes" grep -q "run finished" "$work/resume.txt"

"$lorawb" runs list --db "$db" >"$work/runs.txt"
check "both runs are in the store" test "$(grep -c lora-default "$work/runs.txt")" -eq 2
check "the interrupted run is cancelled" grep -q cancelled "$work/runs.txt"

# Export the finished (resumed) run, id 2.
exports="$work/exports"
"$lorawb" export 2 --format peft --out "$exports" --db "$db" >"$work/export.txt" 2>&1
peft="$exports/lora-default-run2-peft"
check "export peft writes a PEFT folder" test -f "$peft/adapter_model.safetensors" -a -f "$peft/README.md"
check "adapter_config.json is PEFT's LoRA config" grep -q '"peft_type": "LORA"' "$peft/adapter_config.json"
check "GPT-2 targets are Conv1D (fan_in_fan_out)" grep -q '"fan_in_fan_out": true' "$peft/adapter_config.json"
sum="$(sha256sum "$peft/adapter_model.safetensors" | cut -d' ' -f1)"
check "export prints each file's SHA-256" grep -q "$sum" "$work/export.txt"
"$lorawb" runs show 2 --db "$db" >"$work/show.txt"
check "the export is recorded as artifacts" grep -q "peft_adapter.*${sum:0:16}" "$work/show.txt"

set +e
"$lorawb" export 2 --format peft --out "$exports" --db "$db" >"$work/again.txt" 2>&1
status=$?
set -e
check "an existing export is not overwritten" test "$status" -eq 1
check "the refusal names --force" grep -q "already exists.*--force" "$work/again.txt"
check "--force replaces it" "$lorawb" export 2 --format peft --out "$exports" --db "$db" --force

"$lorawb" export 2 --format peft --out "$exports" --name "../../escaped" --db "$db" >/dev/null
check "a name cannot leave the destination" test -f "$exports/escaped/adapter_config.json" -a ! -e "$work/../escaped"

"$lorawb" export 2 --format merged --max-shard-bytes 200000 --out "$exports" --db "$db" >/dev/null
merged="$exports/lora-default-run2-merged"
check "export merged writes a sharded HF checkpoint" test -f "$merged/model.safetensors.index.json" -a -f "$merged/config.json"
check "the merged config is GPT2LMHeadModel" grep -q GPT2LMHeadModel "$merged/config.json"

# Inspection: tokenize, score (the base + the PEFT adapter scores as the merged model), generate.
printf 'hi\nok\n' | "$lorawb" tokenize --tokenizer byte >"$work/tokens.txt"
check "tokenize prints one id array per line" test "$(cat "$work/tokens.txt")" = "$(printf '[104,105]\n[111,107]')"
"$lorawb" export 2 --format base --out "$exports" --db "$db" >/dev/null
base="$exports/lora-default-run2-base"
printf 'reverse: stone\nenots' >"$work/text.txt"
"$lorawb" score --model "$base" --adapter "$peft" --text-file "$work/text.txt" >"$work/score_adapter.json"
"$lorawb" score --model "$merged" --text-file "$work/text.txt" >"$work/score_merged.json"
total() { grep -o '"total_logprob":[-0-9.eE+]*' "$1" | cut -d: -f2; }
check "score gives each token's log-probability" grep -q '"logprobs":\[null,-' "$work/score_merged.json"
check "score: base + PEFT adapter = the merged model" awk -v a="$(total "$work/score_adapter.json")" \
  -v b="$(total "$work/score_merged.json")" 'BEGIN { d = a - b; if (d < 0) d = -d; m = a < 0 ? -a : a; exit !(a != "" && d <= 1e-5 * m) }'
"$lorawb" generate --model "$merged" --prompt 'reverse: stone' --max-new-tokens 6 >"$work/greedy1.json"
"$lorawb" generate --model "$merged" --prompt 'reverse: stone' --max-new-tokens 6 >"$work/greedy2.json"
check "generate prints the answer as JSON" grep -q '"text":' "$work/greedy1.json"
check "greedy generation repeats" cmp -s "$work/greedy1.json" "$work/greedy2.json"
sample=(--model "$merged" --prompt 'reverse: stone' --max-new-tokens 6 --temperature 1.5 --top-p 0.95 --seed 7)
"$lorawb" generate "${sample[@]}" >"$work/sample1.json"
"$lorawb" generate "${sample[@]}" >"$work/sample2.json"
check "top-p sampling with a seed repeats" cmp -s "$work/sample1.json" "$work/sample2.json"
sample=(--model "$merged" --prompt 'reverse: stone' --max-new-tokens 6 --temperature 1.5 --top-k 5 --repetition-penalty 1.3 --seed 7)
"$lorawb" generate "${sample[@]}" >"$work/topk1.json"
"$lorawb" generate "${sample[@]}" >"$work/topk2.json"
check "top-k sampling with a repetition penalty and a seed repeats" cmp -s "$work/topk1.json" "$work/topk2.json"
# A stop string: the first two characters greedy decoding gives end it; the text stops before them.
first=$(sed -n 's/.*"text":"\(..\).*/\1/p' "$work/greedy1.json")
"$lorawb" generate --model "$merged" --prompt 'reverse: stone' --max-new-tokens 6 --stop "$first" --stop never >"$work/stop.json"
check "a stop string ends the text before it" grep -q "\"stop_string\":\"$first\",\"text\":\"\"" "$work/stop.json"

set +e
"$lorawb" export 2 --format bundle --out "$exports" --db "$db" >"$work/bundle.txt" 2>&1
status=$?
set -e
check "a format the variant lacks is refused" test "$status" -eq 1
check "the refusal lists the variant's formats" grep -q "its formats: peft, merged, base" "$work/bundle.txt"

check "adapter.init_from accepts the exported folder" "$lorawb" validate "$config" "${gpt2[@]}" --set adapter.init_from="$peft"
set +e
"$lorawb" validate "$config" "${gpt2[@]}" --set adapter.init_from="$peft" --set adapter.r=4 >"$work/init.txt" 2>&1
status=$?
set -e
check "a mismatched init_from is refused" test "$status" -ne 0
check "the mismatch is named" grep -q "adapter.init_from: the PEFT folder .* has r 8, the run adapter.r 4" "$work/init.txt"
# The lexicon suite from the hand-written fixtures, then a short run on its JSONL output.
fixtures="$source_dir/tests/fixtures/lexicon"
"$lorawb" data build-lexicon --wordnet-dir "$fixtures/wordnet" --dictd-dir "$fixtures/dictd" --out "$work/lex" >"$work/lex.txt"
check "build-lexicon prints the counts per task" grep -q "^translate-fr " "$work/lex.txt"
check "build-lexicon writes the three splits" test -s "$work/lex/train.jsonl" -a -s "$work/lex/eval.jsonl" -a -f "$work/lex/test.jsonl"
set +e
"$lorawb" data build-lexicon --wordnet-dir "$work/none" --dictd-dir "$fixtures/dictd" --out "$work/lex2" >"$work/lex2.txt" 2>&1
status=$?
set -e
check "a missing package is named" grep -q "Debian package wordnet-base" "$work/lex2.txt"
check "a missing package exits 1" test "$status" -eq 1
jsonl=(--set data.source=jsonl --set data.train_file="$work/lex/train.jsonl" --set data.eval_file="$work/lex/eval.jsonl" --set 'data.tasks=[]'
       --set 'model={"preset": "gpt2-tiny", "num_hidden_layers": 1, "hidden_size": 32}'
       --set 'adapter.targets=["c_attn", "c_proj", "c_fc"]' --set training.steps=3 --set training.warmup_steps=0
       --set eval.every=0 --set threads=1 --set training.output_dir="$work/lexout" --no-db)
"$lorawb" train "$config" "${jsonl[@]}" >"$work/lextrain.txt" 2>&1
check "lorawb trains on the lexicon's JSONL" grep -q "run finished" "$work/lextrain.txt"
set +e
"$lorawb" validate "$config" --set data.source=jsonl >"$work/nofile.txt" 2>&1
set -e
check "jsonl without train_file is refused" grep -q "data.train_file: required" "$work/nofile.txt"

# Pretraining a (tiny) base on the lexicon's gloss text, scoring it, training on it.
check "build-lexicon writes the pretraining text" grep -q '^{"text":' "$work/lex/pretrain_train.jsonl"
pretrain=(--set 'model={"preset": "llama-small", "num_hidden_layers": 1, "hidden_size": 32, "num_attention_heads": 4,
                        "num_key_value_heads": 2, "intermediate_size": 64}'
          --set data.train_file="$work/lex/pretrain_train.jsonl" --set data.eval_file="$work/lex/pretrain_train.jsonl"
          --set training.steps=3 --set training.warmup_steps=0 --set training.checkpoint_every=0 --set eval.every=0
          --set threads=1 --set training.output_dir="$work/ptout" --no-db)
"$lorawb" pretrain "$source_dir/resources/models/lexicon-base/pretrain.json" "${pretrain[@]}" --out "$work/base" \
  >"$work/pretrain.txt" 2>&1
check "pretrain writes a Hugging Face folder" test -f "$work/base/config.json" -a -f "$work/base/model.safetensors"
set +e
"$lorawb" pretrain "$source_dir/resources/models/lexicon-base/pretrain.json" "${pretrain[@]}" --out "$work/base" \
  >"$work/pretrain2.txt" 2>&1
status=$?
set -e
check "pretrain refuses a taken destination before training" grep -q "exists; pass --force" "$work/pretrain2.txt"
"$lorawb" eval --model "$work/base" --data "$work/lex/pretrain_train.jsonl" --progress plain >"$work/ppl.json" 2>"$work/ppl_progress.txt"
check "eval prints the perplexity" grep -q '"perplexity":' "$work/ppl.json"
check "eval's progress goes to stderr, its JSON alone to stdout" \
  test "$(grep -c '^eval loss  [0-9]*/[0-9]* examples' "$work/ppl_progress.txt")" -ge 2 -a "$(wc -l <"$work/ppl.json")" -eq 1
"$lorawb" train "$config" --set model.path="$work/base" --set training.steps=2 --set training.warmup_steps=0 \
  --set eval.every=0 --set data.eval_examples=4 --set threads=1 --set training.output_dir="$work/onbase" --no-db \
  >"$work/onbase.txt" 2>&1
check "a run trains on the pretrained folder (model.path)" grep -q "run finished" "$work/onbase.txt"
"$lorawb" eval --model builtin:lexicon-base --data "$work/lex/eval.jsonl" --exact-match yes >"$work/builtin.json"
check "eval scores the built-in base with exact match per task" grep -q '"exact_match":{' "$work/builtin.json"

echo "$passed passed, $failed failed"
test "$failed" -eq 0
