#!/usr/bin/env python3
"""Special tokens and `lorawb inspect` against transformers itself.

Each case writes a folder in a layout checkpoints are published in: a small
random model saved by transformers (save_pretrained) next to a real published
tokenizer.json from ../shared/vocab, with the tokenizer_config.json /
special_tokens_map.json / config.json / generation_config.json of that layout:

  gpt2-published   GPT-2 as on the hub: tokenizer_config.json only
                   {"model_max_length": 1024}, eos only as config.json's
                   eos_token_id (the tokens come from GPT2Tokenizer's defaults)
  gpt2-genlist     the same with a generation_config.json eos_token_id list
  llama2           Llama 2's tokenizer files (SentencePiece-style BPE), weights in bfloat16
  llama3           Llama 3's files, generation_config.json eos [128001, 128008, 128009]
  qwen3            Qwen3's files (eos <|im_end|>, pad <|endoftext|>, no bos)
  qwen3-class      tokenizer_config.json naming only Qwen2Tokenizer: its defaults
  map-only         no tokenizer_config.json; special_tokens_map.json names the
                   tokens (one as an AddedToken object)
  map-ignored      special_tokens_map.json beside a tokenizer_config.json with
                   added_tokens_decoder (transformers then ignores the map)
  no-end-token     eos_token null, no eos_token_id anywhere: inspect says so,
                   `lorawb score` still scores
  hub-cache        gpt2-published inside models--ORG--NAME/snapshots/HASH with
                   refs/main; inspected through the models-- folder

Compared with `lorawb inspect --json`: bos/eos/pad/unk (AutoTokenizer's
.x_token and .x_token_id), the stop ids (the loaded model's
generation_config.eos_token_id, what generate stops on; when it has none,
lorawb falls back to the eos token, documented in special_tokens.h), whether
sequences start with BOS (AutoTokenizer("hello").input_ids), the parameter
count (model.num_parameters()), the stored dtype (config.json "dtype"), the
target module names (the leaf names of the model's Linear / Conv1D modules
except lm_head, as PEFT's all-linear picks them), the chat template's
presence and the tokenizer size (len(tokenizer)). gpt2-published is also
scored by `lorawb score --text-file` (the command issue 21 found refusing
it): its ids must equal AutoTokenizer's.

Teeth: the qwen3 folder with eos_token changed in lorawb's copy only, and the
gpt2 folder with config.json's eos_token_id changed in lorawb's copy only,
must both be caught by the comparison.

usage: check_special_tokens.py PATH/TO/lorawb SOURCE_DIR   (exit 77: libraries missing)
"""
import json
import os
import shutil
import sys
import tempfile

import interop_common as common

ROLES = ("bos", "eos", "pad", "unk")


def vocab_dir(source_dir, name):
    return os.path.join(os.path.dirname(os.path.abspath(source_dir)), "shared", "vocab", name)


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=2)


def save_model(torch, folder, family, dtype=None, **config):
    config_class, model_class = common.model_classes(family)
    torch.manual_seed(0)
    model = model_class(config_class(**config))
    if dtype is not None:
        model = model.to(dtype)
    model.save_pretrained(folder)


def copy_tokenizer(source_dir, vocab, folder, tokenizer_config="copy"):
    shutil.copy(os.path.join(vocab_dir(source_dir, vocab), "tokenizer.json"), folder)
    if tokenizer_config == "copy":
        shutil.copy(os.path.join(vocab_dir(source_dir, vocab), "tokenizer_config.json"), folder)
    elif tokenizer_config is not None:
        write_json(os.path.join(folder, "tokenizer_config.json"), tokenizer_config)


def expected_of(folder):
    """What transformers says about the folder (AutoTokenizer, the model)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    expected = {}
    for role in ROLES:
        content = getattr(tokenizer, f"{role}_token")
        expected[role] = None if content is None else (str(content), getattr(tokenizer, f"{role}_token_id"))
    stop = model.generation_config.eos_token_id
    if stop is None:  # lorawb's documented fallback: the eos token
        stop = [] if tokenizer.eos_token_id is None else [tokenizer.eos_token_id]
    expected["stop_ids"] = stop if isinstance(stop, list) else [stop]
    ids = tokenizer("hello").input_ids
    expected["prepends_bos"] = tokenizer.bos_token_id is not None and ids[0] == tokenizer.bos_token_id
    expected["parameters"] = model.num_parameters()
    with open(os.path.join(folder, "config.json")) as f:
        expected["dtype"] = json.load(f).get("dtype", "float32")
    targets = []
    for name, module in model.named_modules():
        leaf = name.rsplit(".", 1)[-1]
        if type(module).__name__ in ("Linear", "Conv1D") and leaf != "lm_head" and leaf not in targets:
            targets.append(leaf)
    expected["target_modules"] = targets
    expected["chat_template"] = tokenizer.chat_template is not None
    expected["tokenizer_size"] = len(tokenizer)
    return expected, tokenizer


def got_of(lorawb, model_path):
    inspected = json.loads(lorawb.call("inspect", model_path, "--json"))
    special = inspected["special_tokens"]
    got = {}
    for role in ROLES:
        token = special[role]
        got[role] = None if token is None else (token["content"], token["id"])
    got["stop_ids"] = special["stop_ids"]
    got["prepends_bos"] = inspected["tokenizer"]["prepends_bos"]
    got["parameters"] = inspected["parameters"]
    got["dtype"] = inspected["dtype"]
    got["target_modules"] = inspected["target_modules"]
    got["chat_template"] = inspected["chat_template"]["present"]
    got["tokenizer_size"] = inspected["tokenizer"]["vocab_size"]
    return got, inspected


def differences(got, expected):
    return [f"{key}: lorawb {got[key]!r}, transformers {expected[key]!r}"
            for key in expected if got.get(key) != expected[key]]


class Check:
    def __init__(self, lorawb, work, source_dir, torch):
        self.lorawb = lorawb
        self.work = work
        self.source_dir = source_dir
        self.torch = torch
        self.failed = 0

    def folder(self, name):
        path = os.path.join(self.work, name)
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        return path

    def compare(self, case, folder, inspect_path=None):
        expected, _ = expected_of(folder)
        got, inspected = got_of(self.lorawb, inspect_path or folder)
        wrong = differences(got, expected)
        self.failed += 1 if wrong else 0
        tokens = ", ".join(f"{role} {expected[role][0]!r}={expected[role][1]}" if expected[role] else f"{role} -"
                           for role in ROLES)
        print(f"{'FAIL' if wrong else 'ok  '} {case}: {tokens}; stop {expected['stop_ids']} "
              f"({inspected['special_tokens']['stop_ids_origin'] or '-'}); {len(expected)} fields", flush=True)
        for line in wrong:
            print(f"       {line}", flush=True)
        return inspected

    def expect_caught(self, case, folder, break_copy):
        """Teeth: lorawb reads a copy with one thing changed; the comparison must fail."""
        broken = common.copy_folder(folder, case, self.work)
        break_copy(broken)
        expected, _ = expected_of(folder)
        got, _ = got_of(self.lorawb, broken)
        wrong = differences(got, expected)
        self.failed += 0 if wrong else 1
        print(f"{'ok  ' if wrong else 'FAIL'} teeth: {case}: "
              f"{'caught: ' + wrong[0] if wrong else 'NOT caught'}", flush=True)


def main():
    lorawb_path, source_dir = sys.argv[1], sys.argv[2]
    torch = common.start("special tokens and inspect")
    for name in ("gpt2", "llama2", "llama3", "qwen3"):
        if not os.path.isfile(os.path.join(vocab_dir(source_dir, name), "tokenizer.json")):
            print(f"special tokens: skipped, {vocab_dir(source_dir, name)} is missing")
            return common.SKIP
    work = tempfile.mkdtemp(prefix="lwb-special-tokens-")
    lorawb = common.Lorawb(lorawb_path, source_dir, work)
    check = Check(lorawb, work, source_dir, torch)
    report = common.Report()
    small = dict(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                 num_key_value_heads=1, max_position_embeddings=64)

    def gpt2_published():
        folder = check.folder("gpt2-published")
        save_model(torch, folder, "gpt2", vocab_size=50257, n_embd=16, n_layer=1, n_head=2, n_positions=64)
        os.remove(os.path.join(folder, "generation_config.json"))  # eos only in config.json
        copy_tokenizer(source_dir, "gpt2", folder, {"model_max_length": 1024})
        check.compare("gpt2-published", folder)
        # The command issue 21 found refusing this folder: scored, with AutoTokenizer's ids.
        text = os.path.join(work, "text.txt")
        with open(text, "w") as f:
            f.write("Hello world, scored without an eos_token in tokenizer_config.json.")
        scored = json.loads(lorawb.call("score", "--model", folder, "--text-file", text))["ids"]
        _, tokenizer = expected_of(folder)
        with open(text) as f:
            wanted = tokenizer(f.read()).input_ids
        same = scored == wanted
        check.failed += 0 if same else 1
        print(f"{'ok  ' if same else 'FAIL'} gpt2-published: lorawb score --text-file ids "
              f"{'match' if same else 'differ from'} AutoTokenizer's ({len(wanted)} tokens)", flush=True)
        check.expect_caught("gpt2-config-eos-changed", folder,
                            lambda broken: common.edit_json(os.path.join(broken, "config.json"),
                                                            lambda c: c.update(eos_token_id=13)))
        # hub-cache: the same folder as huggingface_hub lays it out.
        repo = os.path.join(work, "hub", "models--openai-community--gpt2")
        snapshot = os.path.join(repo, "snapshots", "607a30d783dfa663caf39e06633721c8d4cfcd7e")
        shutil.copytree(folder, snapshot)
        os.makedirs(os.path.join(repo, "refs"))
        with open(os.path.join(repo, "refs", "main"), "w") as f:
            f.write("607a30d783dfa663caf39e06633721c8d4cfcd7e")
        inspected = check.compare("hub-cache (models--openai-community--gpt2)", snapshot, inspect_path=repo)
        resolved = os.path.realpath(inspected["folder"]) == os.path.realpath(snapshot)
        check.failed += 0 if resolved else 1
        print(f"{'ok  ' if resolved else 'FAIL'} hub-cache: resolved to {inspected['folder']}", flush=True)

    def gpt2_genlist():
        folder = check.folder("gpt2-genlist")
        save_model(torch, folder, "gpt2", vocab_size=50257, n_embd=16, n_layer=1, n_head=2, n_positions=64)
        write_json(os.path.join(folder, "generation_config.json"), {"bos_token_id": 50256, "eos_token_id": [50256, 198]})
        copy_tokenizer(source_dir, "gpt2", folder, {"model_max_length": 1024})
        check.compare("gpt2-genlist", folder)

    def llama2():
        folder = check.folder("llama2")
        save_model(torch, folder, "llama", dtype=torch.bfloat16, vocab_size=32000, bos_token_id=1, eos_token_id=2, **small)
        copy_tokenizer(source_dir, "llama2", folder)
        check.compare("llama2 (bfloat16)", folder)

    def llama3():
        folder = check.folder("llama3")
        save_model(torch, folder, "llama", vocab_size=128256, bos_token_id=128000, eos_token_id=128001, **small)
        write_json(os.path.join(folder, "generation_config.json"),
                   {"bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009]})
        copy_tokenizer(source_dir, "llama3", folder)
        check.compare("llama3", folder)

    def qwen3():
        folder = check.folder("qwen3")
        save_model(torch, folder, "qwen3", vocab_size=151936, bos_token_id=151643, eos_token_id=151645,
                   head_dim=8, **small)
        copy_tokenizer(source_dir, "qwen3", folder)
        check.compare("qwen3", folder)
        check.expect_caught("qwen3-eos-changed", folder,
                            lambda broken: common.edit_json(os.path.join(broken, "tokenizer_config.json"),
                                                            lambda c: c.update(eos_token="<|endoftext|>")))
        cls = check.folder("qwen3-class")
        for name in ("config.json", "model.safetensors"):
            shutil.copy(os.path.join(folder, name), cls)
        copy_tokenizer(source_dir, "qwen3", cls, {"tokenizer_class": "Qwen2Tokenizer"})
        check.compare("qwen3-class (Qwen2Tokenizer defaults)", cls)

        ignored = check.folder("map-ignored")
        for name in ("config.json", "model.safetensors"):
            shutil.copy(os.path.join(folder, name), ignored)
        copy_tokenizer(source_dir, "qwen3", ignored)
        write_json(os.path.join(ignored, "special_tokens_map.json"), {"eos_token": "<|endoftext|>", "pad_token": "<|im_start|>"})
        check.compare("map-ignored (tokenizer_config.json has added_tokens_decoder)", ignored)

        none = check.folder("no-end-token")
        save_model(torch, none, "qwen3", vocab_size=151936, head_dim=8, **small)
        copy_tokenizer(source_dir, "qwen3", none, {"tokenizer_class": "Qwen2Tokenizer", "eos_token": None,
                                                   "pad_token": None, "unk_token": None})
        inspected = check.compare("no-end-token", none)
        text = os.path.join(work, "text.txt")
        with open(text, "w") as f:
            f.write("scoring needs no end token")
        scored = json.loads(lorawb.call("score", "--model", none, "--text-file", text))
        said = inspected["special_tokens"]["end_token_id"] is None
        check.failed += 0 if said else 1
        print(f"{'ok  ' if said else 'FAIL'} no-end-token: end_token_id "
              f"{inspected['special_tokens']['end_token_id']}; lorawb score still scores "
              f"{len(scored['ids'])} tokens", flush=True)

    def map_only():
        folder = check.folder("map-only")
        save_model(torch, folder, "llama", vocab_size=128256, bos_token_id=128000, eos_token_id=128009, **small)
        os.remove(os.path.join(folder, "generation_config.json"))
        copy_tokenizer(source_dir, "llama3", folder, None)
        write_json(os.path.join(folder, "special_tokens_map.json"),
                   {"bos_token": "<|begin_of_text|>",
                    "eos_token": {"content": "<|eot_id|>", "lstrip": False, "normalized": False,
                                  "rstrip": False, "single_word": False}})
        check.compare("map-only (special_tokens_map.json)", folder)

    for name, body in (("gpt2-published", gpt2_published), ("gpt2-genlist", gpt2_genlist), ("llama2", llama2),
                       ("llama3", llama3), ("qwen3", qwen3), ("map-only", map_only)):
        report.run(name, body)
    report.failed += check.failed
    shutil.rmtree(work, ignore_errors=True)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
