"""What the interop checks share: the real libraries, lorawb, and the comparison.

Each check (check_models.py, check_peft_import.py, check_peft_export.py) puts a
model or adapter through lorawb and through transformers / PEFT themselves and
compares the per-token log-probabilities that `lorawb score --ids-file`
prints with those the libraries compute on the same ids: every expected value
here comes from transformers and peft (versions printed by `start()`), never
from LoRA Workbench's code.

Every check also has teeth: it breaks one thing on purpose (a scaling, a key
name, a config value) and requires the comparison to fail, so a check that
could not notice such a break fails itself (`Report.expect_caught`).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

# Nothing here may reach the network: every model is built from a config.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

TOLERANCE = 1e-4  # max |d log-prob| per token, float32 on both sides
SKIP = 77         # CTest's SKIP_RETURN_CODE for these tests


def start(description):
    """Imports the libraries (exit 77 when one is missing), prints their versions."""
    try:
        import peft
        import safetensors
        import torch
        import transformers
    except ImportError as error:
        print(f"{description}: skipped, {error.name} is not installed in {sys.executable}")
        sys.exit(SKIP)
    torch.set_num_threads(1)  # the checks share 2 cores with the build
    torch.use_deterministic_algorithms(True)
    import transformers.utils.logging as hf_logging
    hf_logging.disable_progress_bar()
    print(f"{description}: torch {torch.__version__}, transformers {transformers.__version__}, "
          f"peft {peft.__version__}, safetensors {safetensors.__version__}")
    return torch


class Lorawb:
    """The lorawb executable; every run store and output folder is temporary."""

    def __init__(self, executable, source_dir, work):
        self.executable = executable
        self.source_dir = source_dir
        self.work = work
        self.db = os.path.join(work, "runs.db")
        self.runs = 0

    def call(self, *args):
        done = subprocess.run([self.executable, *args], capture_output=True, text=True)
        if done.returncode != 0:
            raise LorawbError(f"lorawb {' '.join(args[:2])}: {done.stderr.strip() or done.stdout.strip()}")
        return done.stdout

    def score(self, model, ids, adapter=None):
        """lorawb's log-probability of ids[t] given ids[:t], for t >= 1."""
        ids_file = os.path.join(self.work, "ids.json")
        with open(ids_file, "w") as f:
            json.dump(ids, f)
        args = ["score", "--model", model, "--ids-file", ids_file]
        if adapter:
            args += ["--adapter", adapter]
        result = json.loads(self.call(*args))
        if result["ids"] != ids:
            raise LorawbError(f"lorawb score: scored {result['ids']}, not the ids given")
        return result["logprobs"][1:]

    def train(self, config, name, *sets):
        """A run recorded in the temporary store; its run id."""
        output = os.path.join(self.work, "runs", name)
        self.call("train", config, "--db", self.db, "--set", f"name={name}",
                  "--set", f"training.output_dir={output}", *sets)
        self.runs += 1
        return self.runs

    def export(self, run_id, fmt, name, *extra):
        out = os.path.join(self.work, "exports")
        self.call("export", str(run_id), "--format", fmt, "--out", out, "--name", name, "--db", self.db, *extra)
        return os.path.join(out, name)


class LorawbError(Exception):
    pass


def library_logprobs(model, ids):
    """transformers' / PEFT's log-probability of ids[t] given ids[:t] (float32 forward)."""
    import torch
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0].double()
    logprobs = torch.log_softmax(logits, dim=-1)
    return [logprobs[t - 1, ids[t]].item() for t in range(1, len(ids))]


def load_causal_lm(folder):
    """AutoModelForCausalLM in float32 (transformers 5 would keep a float16 file's dtype)."""
    import torch
    from transformers import AutoModelForCausalLM
    return AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()


def load_peft(base_folder, adapter_folder):
    """PeftModel.from_pretrained on the base. PEFT only warns about a tensor it
    does not use or lacks (and then computes without it), so here the file's
    keys must be exactly the ones PEFT saves for the model it built."""
    from peft import PeftModel, get_peft_model_state_dict
    from safetensors import safe_open
    model = PeftModel.from_pretrained(load_causal_lm(base_folder), adapter_folder).eval()
    with safe_open(os.path.join(adapter_folder, "adapter_model.safetensors"), "pt") as f:
        in_file = set(f.keys())
    wanted = set(get_peft_model_state_dict(model).keys())
    if in_file != wanted:
        raise PeftKeyError(f"PEFT: keys it did not use: {sorted(in_file - wanted)[:3]}, "
                           f"keys it lacked: {sorted(wanted - in_file)[:3]}")
    return model


class PeftKeyError(Exception):
    pass


def model_classes(family):
    """transformers' config and causal-LM classes of a model_type."""
    import transformers
    names = {"gpt2": ("GPT2Config", "GPT2LMHeadModel"), "llama": ("LlamaConfig", "LlamaForCausalLM"),
             "mistral": ("MistralConfig", "MistralForCausalLM"), "qwen2": ("Qwen2Config", "Qwen2ForCausalLM"),
             "qwen3": ("Qwen3Config", "Qwen3ForCausalLM"), "gemma": ("GemmaConfig", "GemmaForCausalLM"),
             "gemma2": ("Gemma2Config", "Gemma2ForCausalLM"), "phi3": ("Phi3Config", "Phi3ForCausalLM"),
             "gpt_neox": ("GPTNeoXConfig", "GPTNeoXForCausalLM")}
    config_name, model_name = names[family]
    return getattr(transformers, config_name), getattr(transformers, model_name)


def build_model(family, seed, **config):
    """A small random transformers model of a family (a model_type of model_classes).

    transformers initialises weights at std 0.02 and biases and norms to 0 / 1,
    which gives near-uniform predictions and would hide a misread bias or norm;
    so every weight is redrawn at std 0.2, every bias and norm shift at 0.1 and
    every norm scale at 1 + N(0, 0.1)."""
    import torch
    config_class, model_class = model_classes(family)
    torch.manual_seed(seed)
    return redraw_weights(model_class(config_class(**config)).eval())


def redraw_weights(model):
    """Every weight from N(0, 0.2^2), biases N(0, 0.1^2), norm scales 1 + N(0, 0.1^2),
    drawn from torch's generator in parameter order (build_model's docstring says why)."""
    import torch
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            is_norm = "norm" in name or ".ln_" in name
            if is_norm and name.endswith("weight"):
                parameter.copy_(1 + 0.1 * torch.randn_like(parameter))
            elif name.endswith("bias"):
                parameter.copy_(0.1 * torch.randn_like(parameter))
            else:
                parameter.copy_(0.2 * torch.randn_like(parameter))
    return model


def randomize_lora_b(peft_model, seed):
    """PEFT starts lora_B at zero (the adapter then changes nothing); draw it."""
    import torch
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in peft_model.named_parameters():
            if "lora_B" in name:
                parameter.copy_(0.2 * torch.randn(parameter.shape, generator=generator))


def random_token_ids(vocab_size, length, seed):
    import random
    rng = random.Random(seed)
    return [rng.randrange(vocab_size) for _ in range(length)]


def copy_folder(source, name, work):
    target = os.path.join(work, "broken", name)
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    return target


def edit_json(path, change):
    with open(path) as f:
        document = json.load(f)
    change(document)
    with open(path, "w") as f:
        f.write(json.dumps(document, indent=2, sort_keys=True) + "\n")


def rename_tensor(path, old_part, new_part):
    """Renames the first tensor key holding old_part (safetensors file rewritten)."""
    from safetensors.torch import load_file, save_file
    tensors = load_file(path)
    key = next(k for k in sorted(tensors) if old_part in k)
    tensors[key.replace(old_part, new_part)] = tensors.pop(key)
    save_file(tensors, path, metadata={"format": "pt"})
    return key


class Report:
    """Cases compared, teeth shown, and the exit status."""

    def __init__(self):
        self.failed = 0
        self.rows = []

    def compare(self, case, got, expected, tolerance=TOLERANCE):
        """Passes when every token is within tolerance; prints the max difference."""
        worst = max_difference(got, expected)
        ok = worst <= tolerance
        self.failed += 0 if ok else 1
        print(f"{'ok  ' if ok else 'FAIL'} {case}: max |d log-prob| = {worst:.2e} "
              f"over {len(expected)} tokens (tolerance {tolerance:g})", flush=True)
        self.rows.append((case, worst))
        return ok

    def expect_caught(self, case, attempt, tolerance=TOLERANCE):
        """Teeth: attempt() returns (got, expected) after breaking something, or raises
        the error that refuses the broken input; either way the comparison must fail."""
        try:
            got, expected = attempt()
        except (LorawbError, PeftKeyError) as error:
            print(f"ok   teeth: {case}: refused: {first_line(error)}", flush=True)
            return
        worst = max_difference(got, expected)
        caught = worst > tolerance
        self.failed += 0 if caught else 1
        print(f"{'ok  ' if caught else 'FAIL'} teeth: {case}: max |d log-prob| = {worst:.2e} "
              f"({'caught' if caught else 'NOT caught'}: tolerance {tolerance:g})", flush=True)

    def expect_scaling_edits_caught(self, case, folder, work, score, where=""):
        """Teeth on an adapter folder's scaling: lora_alpha doubled, then use_rslora
        flipped, each in a copy of folder; score(broken_copy) returns (got, expected)."""
        edits = (("lora_alpha doubled", "alpha", lambda c: c.update(lora_alpha=2 * c["lora_alpha"])),
                 ("use_rslora flipped", "rslora", lambda c: c.update(use_rslora=not c["use_rslora"])))
        for label, suffix, change in edits:
            def attempt(suffix=suffix, change=change):
                broken = copy_folder(folder, f"{case}-{suffix}", work)
                edit_json(os.path.join(broken, "adapter_config.json"), change)
                return score(broken)
            self.expect_caught(f"{case}: {label}{where}", attempt)

    def run(self, case, body):
        """A case that may raise: its error is a failure, and the next case still runs."""
        try:
            body()
        except Exception as error:  # each case reports on its own
            self.failed += 1
            print(f"FAIL {case}: {type(error).__name__}: {error}", flush=True)

    def finish(self):
        print(f"{self.failed} failed")
        return 1 if self.failed else 0


def max_difference(got, expected):
    if len(got) != len(expected):
        return float("inf")
    return max(abs(a - b) for a, b in zip(got, expected))


def first_line(error):
    text = str(error).strip()
    return text.splitlines()[0][:300] if text else type(error).__name__


def work_folder():
    """A temporary folder for models, runs and exports, removed when the check ends."""
    import atexit
    folder = tempfile.mkdtemp(prefix="lwb-interop-")
    atexit.register(shutil.rmtree, folder, True)
    return folder
