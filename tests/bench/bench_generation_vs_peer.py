#!/usr/bin/env python3
"""Greedy generation speed of the engine beside transformers' generate, in one run.

For each shape, transformers builds one random model from a config and saves
it (safetensors). Then, alternating, in separate processes on the same
threads, for batch 1 and batch 16, prompt 64 random tokens, 128 new tokens
(no EOS: every row generates all of them):
  engine: bench_generation_hf (engine/model/generation.h, KV cache) on that
          folder: no adapter, a LoRA on every linear layer attached, and the
          same LoRA merged into the weights;
  peer:   the same folder loaded by transformers (eager attention off: its
          default sdpa), the same LoRA shape by peft (rank, alpha, targets,
          B ~ N(0, 0.02)), model.generate(do_sample=False, use_cache=True,
          min/max_new_tokens 128), attached, and merged with merge_and_unload().
Each side does one untimed warm-up generation, then REPEATS timed ones; the
best is kept (the machine is shared and noisy). The table gives generated
tokens/s (rows x 128 / seconds) and engine / peer. The engine's and the
peer's adapters are drawn by different generators, so their tokens differ;
"same base tokens" compares the first row without an adapter (random weights,
float32: a near-tie may flip late).
Each side also times every decoding step after the prompt's pass (one new
token per row, KV cache) and reports the median over all timed runs: on a
loaded machine one slow stretch spoils a whole run's tokens/s but few steps,
so "median step ms" is the steadier figure for comparing adapter costs.
"prefill ms" is the median time from the call to the first new tokens: the
prompt's pass, whose output projection both sides run on the last position
only (transformers: logits_to_keep = 1; the engine: nextTokenLogits).
"CPU ms per token" is each side's process CPU time (all its threads) over
the timed runs per generated token: the work done, which the load of other
processes barely moves (a core shared with a build still counts only this
process's time), so it is the figure to compare on a busy machine.
"ceiling" is the batch's tokens/s if every decoding step did nothing but read
the model's weights once at the memory read bandwidth measured here and now
(the best of ten sums of a 256 MiB tensor on the same threads):
at batch 1 a float32 model of this size is bound by it, and no implementation
reading the same float32 weights per token can beat it.

usage: bench_generation_vs_peer.py BENCH_GENERATION_HF [--shapes small,qwen0.5b]
                                   [--threads 2] [--repeats 2] [--batches 1,16]
                                   [--markdown OUT.md]
(the peer side alone: --peer MODEL_DIR ADAPTER BATCH THREADS REPEATS)
Figures only: it asserts nothing about time.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

# The shapes of bench_vs_peer.py: the built-in base's shape (llama-small cut
# to 4 layers, byte-level vocabulary of 259) and Qwen2.5-0.5B's (random weights).
SHAPES = {
    "small": dict(
        model_type="llama", hidden_size=256, num_hidden_layers=4, num_attention_heads=8,
        num_key_value_heads=4, intermediate_size=704, vocab_size=259, tie_word_embeddings=True,
        rope_theta=10000.0, max_position_embeddings=512),
    "qwen0.5b": dict(
        model_type="qwen2", hidden_size=896, num_hidden_layers=24, num_attention_heads=14,
        num_key_value_heads=2, intermediate_size=4864, vocab_size=151936, tie_word_embeddings=True,
        rope_theta=1000000.0, max_position_embeddings=1024),
}
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
RANK, ALPHA = 16, 32
PROMPT, NEW = 64, 128


def make_model(shape, folder):
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM
    torch.manual_seed(0)
    keys = {k: v for k, v in shape.items() if k != "model_type"}
    config = AutoConfig.for_model(shape["model_type"], **keys)
    AutoModelForCausalLM.from_config(config).save_pretrained(folder, safe_serialization=True)


def peer_main(folder, adapter, batch, threads, repeats):
    import torch
    from transformers import AutoModelForCausalLM
    torch.set_num_threads(threads)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    if adapter != "none":
        from peft import LoraConfig, get_peft_model
        model = get_peft_model(model, LoraConfig(r=RANK, lora_alpha=ALPHA, target_modules=TARGETS, lora_dropout=0.0))
        torch.manual_seed(0)
        with torch.no_grad():
            for name, parameter in model.named_parameters():
                if "lora_B" in name:
                    parameter.normal_(0.0, 0.02)
        if adapter == "merged":
            model = model.merge_and_unload()
    model.eval()
    torch.manual_seed(0)
    prompts = torch.randint(0, model.config.vocab_size, (batch, PROMPT))
    mask = torch.ones_like(prompts)
    best, out, steps, prefills, cpu = float("inf"), None, [], [], 0.0
    with torch.inference_mode():
        for run in range(repeats + 1):
            timer = StepTimer()
            start, cpu_start = time.perf_counter(), time.process_time()
            out = model.generate(input_ids=prompts, attention_mask=mask, do_sample=False, use_cache=True,
                                 max_new_tokens=NEW, min_new_tokens=NEW, pad_token_id=0, streamer=timer)
            seconds = time.perf_counter() - start
            if run > 0:
                cpu += time.process_time() - cpu_start
                best = min(best, seconds)
                steps += timer.decode_steps()
                prefills.append(timer.prefill())
    steps.sort()
    prefills.sort()
    print(json.dumps({"seconds": best, "tokens_per_s": batch * NEW / best, "step_ms_min": 1e3 * steps[0],
                      "step_ms_median": 1e3 * steps[len(steps) // 2],
                      "prefill_ms_median": 1e3 * prefills[(len(prefills) - 1) // 2],
                      "cpu_ms_per_token": 1e3 * cpu / (max(1, repeats) * batch * NEW), "first_row": out[0, PROMPT:].tolist()}))


class StepTimer:
    """A generate() streamer that only notes when each step's tokens arrive.

    generate() hands it the prompt, then each step's new tokens; the gaps
    after the first new tokens are the decoding steps (one token per row
    with the KV cache), which bench_generation_hf times the same way."""

    def __init__(self):
        self.times = []

    def put(self, value):
        self.times.append(time.perf_counter())

    def end(self):
        pass

    def prefill(self):
        # from the prompt's arrival (the call) to the first new tokens
        return self.times[1] - self.times[0]

    def decode_steps(self):
        # times[0]: prompt, times[1]: first new tokens (after the prompt's pass)
        return [b - a for a, b in zip(self.times[1:], self.times[2:])]


def measure_bandwidth(threads):
    """Bytes read per second by a sum over a tensor larger than any cache, best of ten."""
    import torch
    torch.set_num_threads(threads)
    source = torch.ones(64 * 1024 * 1024)  # 256 MiB of float32
    best = float("inf")
    for _ in range(11):
        start = time.perf_counter()
        source.sum()
        best = min(best, time.perf_counter() - start)
    return source.numel() * source.element_size() / best


def weight_bytes(folder):
    """What one decoding step reads: every weight once (the tied embedding as lm_head)."""
    return sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder) if f.endswith(".safetensors"))


def measure(command, env):
    result = subprocess.run(command, capture_output=True, env=env, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bench", nargs="?")
    parser.add_argument("--shapes", default="small,qwen0.5b")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--batches", default="1,16")
    parser.add_argument("--adapters", default="none,lora,merged")
    parser.add_argument("--markdown")
    parser.add_argument("--peer", nargs=5)
    args = parser.parse_args()
    if args.peer:
        folder, adapter, batch, threads, repeats = args.peer
        peer_main(folder, adapter, int(batch), int(threads), int(repeats))
        return
    if not args.bench:
        parser.error("the path of bench_generation_hf is required")
    import torch
    import transformers
    import peft
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    header = (f"torch {torch.__version__}, transformers {transformers.__version__}, peft {peft.__version__}, "
              f"{args.threads} threads, {os.cpu_count()} CPUs, best of {args.repeats}, prompt {PROMPT}, {NEW} new tokens, "
              f"LoRA r {RANK} alpha {ALPHA} on {','.join(TARGETS)}")
    bandwidth = measure_bandwidth(args.threads)
    header += f"; memory read bandwidth {bandwidth / 1e9:.1f} GB/s (sum of 256 MiB)"
    print(header, flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for shape_name in args.shapes.split(","):
            folder = os.path.join(work, shape_name)
            make_model(SHAPES[shape_name], folder)
            step_bytes = weight_bytes(folder)
            for batch in [int(b) for b in args.batches.split(",")]:
                for adapter in args.adapters.split(","):
                    engine = measure([args.bench, folder, adapter, str(RANK), str(ALPHA), str(batch), str(PROMPT),
                                      str(NEW), str(args.threads), str(args.repeats)], env)
                    peer = measure([sys.executable, __file__, "--peer", folder, adapter, str(batch),
                                    str(args.threads), str(args.repeats)], env)
                    same = engine["first_row"] == peer["first_row"] if adapter == "none" else None
                    ceiling = batch * bandwidth / step_bytes
                    row = (shape_name, batch, adapter, engine["tokens_per_s"], peer["tokens_per_s"],
                           engine["tokens_per_s"] / peer["tokens_per_s"], same, ceiling,
                           engine["step_ms_median"], peer["step_ms_median"], engine["prefill_ms_median"],
                           peer["prefill_ms_median"], engine["cpu_ms_per_token"], peer["cpu_ms_per_token"])
                    rows.append(row)
                    print(f"{shape_name:9} batch {batch:2} {adapter:6}  engine {row[3]:9.1f} tok/s  "
                          f"transformers {row[4]:9.1f} tok/s  x{row[5]:.2f}  ceiling {ceiling:9.1f} tok/s  "
                          f"median step ms engine {row[8]:.1f} transformers {row[9]:.1f}  "
                          f"prefill ms engine {row[10]:.1f} transformers {row[11]:.1f}  "
                          f"cpu ms/token engine {row[12]:.1f} transformers {row[13]:.1f}"
                          + ("" if same is None else f"  same base tokens: {same}"), flush=True)
    if args.markdown:
        with open(args.markdown, "w") as out:
            out.write(f"{header}\n\n| shape | batch | adapter | engine tok/s | transformers tok/s | engine / peer | same base tokens "
                      "| bandwidth ceiling tok/s | engine median step ms | transformers median step ms "
                      "| engine prefill ms | transformers prefill ms | engine CPU ms per token | transformers CPU ms per token |\n")
            out.write("|" + " --- |" * 14 + "\n")
            for (shape_name, batch, adapter, e, p, ratio, same, ceiling, e_step, p_step, e_pre, p_pre, e_cpu,
                 p_cpu) in rows:
                out.write(f"| {shape_name} | {batch} | {adapter} | {e:.1f} | {p:.1f} | {ratio:.2f} | "
                          f"{'' if same is None else ('yes' if same else 'no')} | {ceiling:.1f} | {e_step:.1f} | {p_step:.1f} | {e_pre:.1f} | {p_pre:.1f} | {e_cpu:.1f} | {p_cpu:.1f} |\n")


if __name__ == "__main__":
    main()
