#!/usr/bin/env bash
# The ASan + UBSan suite in stages, cheapest first, each stage's suites run as
# soon as they are built: on a 2-core machine the whole instrumented tree is
# hours of compiling, and a stage that finishes says something while the next
# one builds. Uses the `asan` preset (CMakePresets.json: build-asan/, the
# sanitizer options and tests/sanitizers/lsan.supp).
#
#   tests/sanitizers/run_asan_stages.sh [STAGE ...]   # default: every stage, in order
#
# Stages: data (torch-free data suites), storage (the run store), readers
# (safetensors, tokenizers, configs, checkpoints, PEFT), numerics (adapters,
# routing, kernels, generation), training (trainer, evaluation, studies,
# export, data parallel), cli, ui. Prints one line per stage; logs are in
# build-asan/asan-logs/. Exit status 1 when a stage failed to build or a suite failed.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

declare -A suites=(
  [data]="test_lexicon test_jsonl_dataset test_chat_template"
  [storage]="storage_sha256_test storage_run_statistics_test storage_study_store_test storage_study_measures_test storage_schema_test storage_run_store_test storage_hostile_names_test storage_metric_reader_test storage_run_recorder_test storage_faults_test storage_export_artifacts_test storage_crash_test storage_runs_command_test"
  [readers]="test_safetensors test_bpe_tokenizer test_unigram_wordpiece test_run_config test_special_tokens test_hf_checkpoint test_peft_export"
  [numerics]="test_lora_numerics test_sira test_sira_routing_ops test_reslora test_dlp test_dlp_selection test_gathered_lora test_sira_expert_blocks_kernel test_adapter_paths test_cpu_gemm_kernel test_dropout_mask test_token_sampling test_batched_generation test_fused_cross_entropy test_causal_lm"
  [training]="test_trainer test_eval_stop test_eval_streaming test_model_export test_sira_training test_reslora_training test_dlp_study test_checkpointing test_mixed_precision test_study_spec test_variant_traits test_generation test_jsonl_training test_tokenizer_runs test_base_model test_default_run test_eval_progress_printer test_seed_mix test_cpu_gemm test_sira_dropout_balance test_reslora_setup test_dlp_plugin_encoder test_dlp_fused_device test_data_parallel"
)
order=(data storage readers numerics training cli ui)
stages=("$@")
[[ ${#stages[@]} -gt 0 ]] || stages=("${order[@]}")

[[ -f build-asan/CMakeCache.txt ]] || cmake --preset asan >/dev/null || exit 1
logs=build-asan/asan-logs
mkdir -p "$logs"
status=0
for stage in "${stages[@]}"; do
  case "$stage" in
    cli) targets=(lorawb); regex='^cli_' ;;
    ui) targets=(lora-workbench $(ctest --test-dir build-asan -N -L ui | sed -n 's/.*Test *#[0-9]*: //p')); regex='^ui_' ;;
    *)
      [[ -n "${suites[$stage]:-}" ]] || { echo "run_asan_stages: no stage '$stage' (${order[*]})" >&2; exit 2; }
      read -r -a targets <<<"${suites[$stage]}"
      regex="^($(IFS='|'; echo "${targets[*]}"))\$"
      ;;
  esac
  args=()
  for target in "${targets[@]}"; do args+=(--target "$target"); done
  start=$(date +%s)
  if ! cmake --build build-asan -j"${LWB_JOBS:-2}" "${args[@]}" >"$logs/build-$stage.log" 2>&1; then
    echo "stage $stage: build failed ($logs/build-$stage.log)"
    status=1
    continue
  fi
  built=$(($(date +%s) - start))
  start=$(date +%s)
  ctest --preset asan -R "$regex" >"$logs/test-$stage.log" 2>&1 || status=1
  echo "stage $stage: built in ${built} s, tests in $(($(date +%s) - start)) s: $(grep -E 'tests passed|No tests were found' "$logs/test-$stage.log")"
done
exit $status
