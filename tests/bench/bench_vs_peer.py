#!/usr/bin/env python3
"""Training speed of the engine beside the Python ecosystem, in one run.

For each shape, transformers builds one random model from a config and saves
it (safetensors); then, alternating, in separate processes on the same
threads:
  engine: bench_train_step --json (the engine's Trainer, what `lorawb train`
          runs) on that folder, LoRA on the given targets, JSONL text packed
          to full sequences so every step has batch x seq tokens;
  peer:   the same folder loaded by transformers, a peft LoRA of the same
          targets / rank / alpha / dropout, AdamW, a plain PyTorch eager loop
          on batches of the same shape.
Each side is timed over the steps after its first WARMUP ones (allocator and
thread pools); its peak resident memory is the process's own (wait4). The
best of the repeats is kept for each side (the machine is shared and noisy;
the best is the least disturbed), and the table prints tokens/s, step time,
peak memory and the ratio engine / peer.

usage: bench_vs_peer.py BENCH_TRAIN_STEP [--shapes small,qwen0.5b] [--threads 2]
                        [--repeats 2] [--markdown OUT.md]
(the peer side alone: bench_vs_peer.py --peer MODEL_DIR SHAPE_JSON THREADS; SHAPE_JSON may name
"device" (default cpu) and "precision" fp32 | bf16 (default fp32): bf16 loads the base in bf16,
keeps peft's adapters in float32 and runs the forward under torch.autocast, as the engine's
training.precision bf16 does; on CUDA the peak is torch.cuda.max_memory_allocated().
tests/bench/gpu_table.py drives it so on a GPU.)
Figures only: it asserts nothing about time.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

# Shapes of issue 18: the engine's llama-small preset (the built-in base's
# shape: byte-level vocabulary of 259) cut to 4 layers, and a
# Qwen2.5-0.5B-shaped model (the published config.json's sizes, random weights).
SHAPES = {
    "small": dict(
        model_type="llama", hidden_size=256, num_hidden_layers=4, num_attention_heads=8,
        num_key_value_heads=4, intermediate_size=704, vocab_size=259, tie_word_embeddings=True,
        rope_theta=10000.0, max_position_embeddings=512,
        seq=128, batch=8, r=8, alpha=16, steps=30),
    "qwen0.5b": dict(
        model_type="qwen2", hidden_size=896, num_hidden_layers=24, num_attention_heads=14,
        num_key_value_heads=2, intermediate_size=4864, vocab_size=151936, tie_word_embeddings=True,
        rope_theta=1000000.0, max_position_embeddings=1024,
        seq=512, batch=1, r=16, alpha=32, steps=9),
}
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
WARMUP = 5  # as bench_train_step: timing starts once 5 steps are done
DROPOUT = 0.05
LR = 1e-4


def make_model(shape, folder):
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM
    torch.manual_seed(0)
    keys = {k: v for k, v in shape.items() if k not in ("seq", "batch", "r", "alpha", "steps", "model_type")}
    config = AutoConfig.for_model(shape["model_type"], **keys)
    AutoModelForCausalLM.from_config(config).save_pretrained(folder, safe_serialization=True)


def make_engine_run(shape, folder, work):
    """A JSONL of random printable text, packed to full sequences, and the run config."""
    rng = random.Random(0)
    data = os.path.join(work, "text.jsonl")
    chars_needed = (shape["steps"] + 2) * shape["batch"] * (shape["seq"] + 1) * 2
    with open(data, "w") as f:
        while chars_needed > 0:
            line = "".join(rng.choice("abcdefghij klmnopqrstuvwxyz.,") for _ in range(400))
            f.write(json.dumps({"text": line}) + "\n")
            chars_needed -= len(line)
    config = {
        "name": "bench-vs-peer", "seed": 1, "device": "cpu", "threads": 0,
        "model": {"path": folder},
        "data": {"source": "jsonl", "train_file": data, "eval_file": data, "tasks": [],
                 "seq_len": shape["seq"], "pack": True, "eval_examples": 8},
        "adapter": {"variant": "lora", "r": shape["r"], "alpha": shape["alpha"], "dropout": DROPOUT,
                    "targets": TARGETS},
        "training": {"steps": shape["steps"], "batch_size": shape["batch"], "grad_accum": 1, "lr": LR,
                     "warmup_steps": 0, "max_grad_norm": 1.0},
        "eval": {"every": 0, "batch_size": shape["batch"]},
    }
    path = os.path.join(work, "run.json")
    with open(path, "w") as f:
        json.dump(config, f)
    return path


def peer_main(folder, shape, threads):
    """The peer: transformers + peft, AdamW, a plain eager loop. Prints one JSON line."""
    import contextlib
    import resource
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    device = torch.device(shape.get("device", "cpu"))
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[shape.get("precision", "fp32")]
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype).to(device)
    # autocast_adapter_dtype (peft's default) keeps the LoRA weights float32 on a bf16 base.
    model = get_peft_model(model, LoraConfig(r=shape["r"], lora_alpha=shape["alpha"], lora_dropout=DROPOUT,
                                             target_modules=TARGETS, task_type="CAUSAL_LM"))
    model.train()
    autocast = (torch.autocast(device_type=device.type, dtype=dtype) if dtype != torch.float32
                else contextlib.nullcontext())
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=LR)
    generator = torch.Generator().manual_seed(2)
    batch, seq = shape["batch"], shape["seq"]
    timed_start = None
    for step in range(shape["steps"]):
        if step == WARMUP:
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            timed_start = time.perf_counter()
        ids = torch.randint(0, 256, (batch, seq), generator=generator).to(device)
        with autocast:
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        loss.item()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elapsed = time.perf_counter() - timed_start
    timed = shape["steps"] - WARMUP
    if device.type == "cuda":
        peak = torch.cuda.max_memory_allocated(device) / 2**20
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"steps_timed": timed, "tokens_per_s": timed * batch * seq / elapsed,
                      "step_ms": elapsed / timed * 1e3, "peak_mib": peak}))


def measure(command, env):
    """Runs command to its end; returns (the JSON line it printed, its peak RSS in MiB)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    # wait4 reports this child's own peak RSS; read its pipes first so it never blocks on a full one.
    stdout, stderr = process.stdout.read(), process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"bench_vs_peer: {command[0]} failed ({process.returncode}):\n{stderr[-3000:]}")
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]), usage.ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bench", nargs="?")
    parser.add_argument("--shapes", default="small,qwen0.5b")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--markdown")
    parser.add_argument("--peer", nargs=3, metavar=("MODEL_DIR", "SHAPE_JSON", "THREADS"))
    args = parser.parse_args()
    if args.peer:
        peer_main(args.peer[0], json.loads(args.peer[1]), int(args.peer[2]))
        return
    if not args.bench:
        parser.error("BENCH_TRAIN_STEP is required")
    import torch
    import transformers
    import peft
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    header = (f"torch {torch.__version__}, transformers {transformers.__version__}, peft {peft.__version__}, "
              f"{args.threads} threads, {os.cpu_count()} CPUs, best of {args.repeats}")
    print(header)
    rows = []
    for name in args.shapes.split(","):
        shape = SHAPES[name]
        with tempfile.TemporaryDirectory(prefix="lwb-peer-") as work:
            folder = os.path.join(work, "model")
            make_model(shape, folder)
            run_config = make_engine_run(shape, folder, work)
            best = {"engine": None, "peer": None}
            for _ in range(args.repeats):
                for side in ("engine", "peer"):
                    if side == "engine":
                        command = [args.bench, "--json", run_config, str(shape["steps"]), str(args.threads)]
                    else:
                        command = [sys.executable, os.path.abspath(__file__), "--peer", folder,
                                   json.dumps(shape), str(args.threads)]
                    result, peak = measure(command, env)
                    result["peak_mib"] = peak
                    print(f"  {name:9s} {side:6s} {result['tokens_per_s']:9.0f} tok/s {result['step_ms']:9.1f} ms/step "
                          f"{peak:8.0f} MiB", flush=True)
                    if best[side] is None or result["tokens_per_s"] > best[side]["tokens_per_s"]:
                        best[side] = result
            rows.append((name, shape, best["engine"], best["peer"]))
    table = ["| shape | side | tokens/s | step (ms) | peak RSS (MiB) |", "| --- | --- | --- | --- | --- |"]
    for name, shape, engine, peer in rows:
        label = f"{name} (seq {shape['seq']}, batch {shape['batch']}, r {shape['r']})"
        for side, result in (("engine", engine), ("transformers + peft", peer)):
            table.append(f"| {label} | {side} | {result['tokens_per_s']:.0f} | {result['step_ms']:.1f} | "
                         f"{result['peak_mib']:.0f} |")
        table.append(f"| {label} | **engine / peer** | **{engine['tokens_per_s'] / peer['tokens_per_s']:.2f}x** | "
                     f"{engine['step_ms'] / peer['step_ms']:.2f}x | {engine['peak_mib'] / peer['peak_mib']:.2f}x |")
    print("\n".join(table))
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(header + "\n\n" + "\n".join(table) + "\n")


if __name__ == "__main__":
    main()
