#!/usr/bin/env python3
"""The GPU check's table (issue 19, part 6): the engine's training speed per adapter variant on
Llama-shaped models of real size, beside transformers + peft on the same torch, in one run.

packaging/gpu_check.sh runs it after building the benchmarks; it needs the Python that holds the
torch, transformers and peft to compare against (on the GPU machine: the one whose LibTorch the
engine was built against).

For each shape, transformers builds one random Llama model from a config and saves it (bf16
safetensors); then, each in its own process (bench_vs_peer.measure):
  engine LoRA / SiRA / ResLoRA  bench_train_step --json: the engine's Trainer (what `lorawb train`
                                runs) on that folder, the variant's shipped default adapter
                                (resources/configs/<variant>_default.json: LoRA r 8, SiRA E 8 k 2
                                r 4, ResLoRA "is" r 8) on the same targets, training.precision;
  engine DLP                    bench_dlp_device: a training step through the fused library of
                                8 task LoRAs (all trainable, a mixed batch), and fused / single
                                LoRA inference;
  peer LoRA                     bench_vs_peer.py --peer: transformers + peft, the same LoRA,
                                AdamW, autocast, a plain eager loop.
Each is timed over the steps after its first 5. Peak memory is the CUDA allocator's peak (both
sides), the resident high-water mark on the CPU.

MFU: tokens/s x model FLOPs per token / the bf16 matmul peak measured at the start of the same
run (torch.mm of two 8192 x 8192 bf16 matrices). A frozen base needs no weight gradients, so a
LoRA step's model FLOPs per token are 4 N (forward 2 N, input gradients 2 N; N = the weights of
every linear layer, lm_head included) plus 6 L d T for causal attention (forward 2 L d T,
backward twice that; L layers, width d, sequence T); the adapters' own FLOPs are left out.

usage: gpu_table.py --bench-dir BUILD/tests/bench --out DIR [--device cuda] [--cpu-smoke]
Figures only: it asserts nothing about time.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_vs_peer  # noqa: E402  (make_model, make_engine_run, measure, the peer)

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LLAMA = dict(model_type="llama", tie_word_embeddings=False, rope_theta=10000.0, max_position_embeddings=2048,
             r=8, alpha=16)
SHAPES = {
    # ~134M: GPT-2-small widths in a Llama (12 x 768, SwiGLU 2048, 32k vocabulary).
    "llama-125m": dict(LLAMA, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                       num_key_value_heads=12, intermediate_size=2048, vocab_size=32000,
                       seq=1024, batch=8, steps=15),
    # ~1.1B: TinyLlama-1.1B's published config (22 x 2048, GQA 32/4, SwiGLU 5632, 32k vocabulary).
    "llama-1b": dict(LLAMA, hidden_size=2048, num_hidden_layers=22, num_attention_heads=32,
                     num_key_value_heads=4, intermediate_size=5632, vocab_size=32000,
                     seq=1024, batch=8, steps=15),
    # --cpu-smoke: the same pipeline in seconds on a CPU.
    "llama-tiny": dict(LLAMA, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                       num_key_value_heads=2, intermediate_size=128, vocab_size=512,
                       max_position_embeddings=64, seq=32, batch=4, steps=7),
}
DLP_TASKS = 8
GOALS = {"sira_over_lora": 1.15, "dlp_fused_over_single": 1.2, "lora_mfu_1b": 0.45}


def matmul_peak(device, smoke):
    """FLOP/s of torch.mm on this device: 8192^3 bf16 on a GPU (the smoke test: 512^3 on the CPU)."""
    import torch
    n, dtype = (512, torch.float32) if smoke else (8192, torch.bfloat16)
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(3):
        torch.mm(a, b)
    reps = 3 if smoke else 20
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(reps):
        torch.mm(a, b)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return 2 * n ** 3 * reps / (time.perf_counter() - start), f"torch.mm {n}^3 {str(dtype).replace('torch.', '')}"


def model_flops_per_token(folder, shape):
    """4 N + 6 L d T (module docstring), N counted from the saved model's linear layers."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(folder))
    linear = sum(m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Linear))
    total = sum(p.numel() for p in model.parameters())
    attention = 6 * shape["num_hidden_layers"] * shape["hidden_size"] * shape["seq"]
    return 4 * linear + attention, total


def make_model(shape, folder, device):
    """bench_vs_peer.make_model's random model, built on the device in bf16 (a 1B model in
    seconds) and saved as bf16 safetensors, which both sides load."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM
    torch.manual_seed(0)
    keys = {k: v for k, v in shape.items() if k not in ("seq", "batch", "r", "alpha", "steps", "model_type")}
    config = AutoConfig.for_model(shape["model_type"], **keys)
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.save_pretrained(folder, safe_serialization=True)


def engine_configs(shape, folder, work, device, precision):
    """The LoRA run config of bench_vs_peer (JSONL packed to full sequences), on the device, and
    the same run with SiRA's and ResLoRA's shipped default adapters."""
    with open(bench_vs_peer.make_engine_run(shape, folder, work)) as f:
        lora = json.load(f)
    lora["device"] = device
    lora["training"]["precision"] = precision
    configs = {"lora": lora}
    for variant in ("sira", "reslora"):
        with open(os.path.join(SOURCE_DIR, "resources", "configs", f"{variant}_default.json")) as f:
            adapter = json.load(f)["adapter"]
        adapter["targets"] = lora["adapter"]["targets"]
        adapter["dropout"] = lora["adapter"]["dropout"]
        configs[variant] = dict(lora, name=f"gpu-table-{variant}", adapter=adapter)
    paths = {}
    for variant, config in configs.items():
        paths[variant] = os.path.join(work, f"{variant}.json")
        with open(paths[variant], "w") as f:
            json.dump(config, f)
    return paths


def run_shape(name, shape, args, env, peak_flops, log):
    work = tempfile.mkdtemp(prefix=f"lwb-gpu-table-{name}-")
    folder = os.path.join(work, "model")
    started = time.perf_counter()
    make_model(shape, folder, args.device)
    flops_per_token, params = model_flops_per_token(folder, shape)
    log(f"{name}: {params / 1e6:.0f}M parameters, {flops_per_token / 1e9:.2f} GFLOP per token, model "
        f"saved in {time.perf_counter() - started:.1f} s")
    configs = engine_configs(shape, folder, work, args.device, args.precision)
    peer_shape = dict(shape, device=args.device, precision=args.precision)
    bench = lambda program: os.path.join(args.bench_dir, program)  # noqa: E731
    rows, extra = [], {}
    runs = [(variant, "engine", [bench("bench_train_step"), "--json", configs[variant], str(shape["steps"]),
                                 str(args.threads)]) for variant in ("lora", "sira", "reslora")]
    runs.append(("lora", "transformers + peft", [sys.executable, bench_vs_peer.__file__, "--peer", folder,
                                                 json.dumps(peer_shape), str(args.threads)]))
    runs.append(("dlp", "engine", [bench("bench_dlp_device"), configs["lora"], str(DLP_TASKS),
                                   str(shape["steps"] - bench_vs_peer.WARMUP), str(args.dlp_repeats)]))
    for variant, side, command in runs:
        started = time.perf_counter()
        result, peak_rss = measure_all(command, env)
        train = result[0]
        if not args.device.startswith("cuda"):
            train["peak_mib"] = peak_rss  # the whole process on the CPU
        train["mfu"] = train["tokens_per_s"] * flops_per_token / peak_flops
        rows.append(dict(shape=name, params=params, variant=variant, side=side, **train))
        if variant == "dlp":
            extra = result[1]
        log(f"  {name:10s} {variant:8s} {side:20s} {train['tokens_per_s']:10.0f} tok/s {train['step_ms']:9.1f} ms/step "
            f"{train['peak_mib']:9.0f} MiB  MFU {100 * train['mfu']:5.1f} %  ({time.perf_counter() - started:.1f} s)")
    log(f"  {name:10s} DLP inference, {DLP_TASKS} task LoRAs ({extra['path']}): fused {extra['fused_ms']:.2f} ms, "
        f"single LoRA {extra['single_ms']:.2f} ms, ratio {extra['ratio']:.3f}")
    subprocess.run(["rm", "-rf", work], check=False)
    return rows, extra


def measure_all(command, env):
    """bench_vs_peer.measure, keeping every JSON line the program printed (bench_dlp_device: two);
    stderr goes to a file, so a chatty program never blocks on a full pipe."""
    with tempfile.TemporaryFile(mode="w+") as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, env=env, text=True)
        stdout = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)  # this child's own peak RSS
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            sys.exit(f"gpu_table: {command[0]} failed ({process.returncode}):\n{errors.read()[-3000:]}")
    lines = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    return lines, usage.ru_maxrss / 1024


def table(rows, dlp, peak_flops, peak_label):
    out = ["| model | variant | side | tokens/s | step (ms) | peak memory (MiB) | MFU |",
           "| --- | --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        label = {"lora": "LoRA r 8", "sira": "SiRA E 8 k 2", "reslora": "ResLoRA is",
                 "dlp": f"DLP-LoRA fused, {DLP_TASKS} task LoRAs"}[row["variant"]]
        out.append(f"| {row['shape']} ({row['params'] / 1e6:.0f}M) | {label} | {row['side']} | "
                   f"{row['tokens_per_s']:.0f} | {row['step_ms']:.1f} | {row['peak_mib']:.0f} | "
                   f"{100 * row['mfu']:.1f} % |")
    out += ["", "| model | SiRA / LoRA step | engine / peer LoRA tokens/s | DLP fused / single inference | LoRA MFU |",
            "| --- | --- | --- | --- | --- |"]
    for shape in dict.fromkeys(row["shape"] for row in rows):
        pick = {(r["variant"], r["side"]): r for r in rows if r["shape"] == shape}
        lora, sira, peer = pick[("lora", "engine")], pick[("sira", "engine")], pick[("lora", "transformers + peft")]
        out.append(f"| {shape} | {sira['step_ms'] / lora['step_ms']:.3f} (goal <= {GOALS['sira_over_lora']}) | "
                   f"{lora['tokens_per_s'] / peer['tokens_per_s']:.2f}x | {dlp[shape]['ratio']:.3f} "
                   f"(goal <= {GOALS['dlp_fused_over_single']}, {dlp[shape]['path']}) | "
                   f"{100 * lora['mfu']:.1f} % (goal at ~1B >= {100 * GOALS['lora_mfu_1b']:.0f} %) |")
    out.append("")
    out.append(f"MFU against {peak_flops / 1e12:.1f} TFLOP/s measured by {peak_label} in this run; "
               "model FLOPs per token 4 N + 6 L d T (tests/bench/gpu_table.py).")
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bench-dir", required=True, help="the build's tests/bench folder")
    parser.add_argument("--out", required=True)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--precision", default="bf16")
    parser.add_argument("--shapes", default="llama-125m,llama-1b")
    parser.add_argument("--threads", type=int, default=0, help="torch's CPU threads (0: one per core)")
    parser.add_argument("--dlp-repeats", type=int, default=10)
    parser.add_argument("--cpu-smoke", action="store_true", help="llama-tiny on the CPU, a few steps")
    args = parser.parse_args()
    if args.cpu_smoke:
        args.device, args.shapes, args.dlp_repeats = "cpu", "llama-tiny", 3
        args.threads = args.threads or 2
    import peft
    import torch
    import transformers
    os.makedirs(args.out, exist_ok=True)
    lines = []

    def log(text):
        print(text, flush=True)
        lines.append(text)

    device_name = torch.cuda.get_device_name(0) if args.device.startswith("cuda") else platform.processor() or "cpu"
    log(f"gpu_table: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, device {args.device} "
        f"({device_name}), commit {os.environ.get('LWB_COMMIT', 'unknown')}, precision {args.precision}")
    log(f"torch {torch.__version__}, transformers {transformers.__version__}, peft {peft.__version__}, "
        f"{os.cpu_count()} CPUs")
    peak_flops, peak_label = matmul_peak(args.device, args.cpu_smoke)
    log(f"matmul peak: {peak_flops / 1e12:.1f} TFLOP/s ({peak_label})")
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    if args.threads:
        env["OMP_NUM_THREADS"] = str(args.threads)
    rows, dlp = [], {}
    for name in args.shapes.split(","):
        shape_rows, dlp[name] = run_shape(name, SHAPES[name], args, env, peak_flops, log)
        rows += shape_rows
    result = table(rows, dlp, peak_flops, peak_label)
    print("\n".join(result))
    with open(os.path.join(args.out, "gpu_table.md"), "w") as f:
        f.write("\n".join(lines[:3]) + "\n\n" + "\n".join(result) + "\n")
    with open(os.path.join(args.out, "gpu_table.json"), "w") as f:
        json.dump({"rows": rows, "dlp_inference": dlp, "matmul_peak_flops": peak_flops}, f, indent=1)


if __name__ == "__main__":
    main()
