#!/usr/bin/env python3
"""Writes the seed corpora (corpus/<harness>/) and dictionaries (dict/) of the
fuzz harnesses. Run from anywhere with the project's Python (it needs torch
and safetensors, the reference writer of the format):

    .venv/bin/python tests/fuzz/make_corpus.py [--run-store PATH]

Seeds are small on purpose (libFuzzer mutates faster on small inputs and takes
its input-size limit from the largest seed): real examples from tests/fixtures,
resources/configs and ../shared/vocab cut small, plus hand-made edge cases.
Each dictionary holds the JSON punctuation and literals and every key and short
string found in that harness's seeds (plus Jinja's keywords for templates).

--run-store PATH: a run store that `lorawb train` recorded (see README.md);
it is shrunk (512-byte pages, no WAL) and becomes the run_store seed. Without
it the existing run_store seeds are kept.
"""
import argparse
import json
import re
import shutil
import sqlite3
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VOCAB = ROOT.parent / "shared" / "vocab"
CORPUS = HERE / "corpus"
DICTS = HERE / "dict"


def write(harness, name, data):
    folder = CORPUS / harness
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    (folder / name).write_bytes(data)


def dumps(value):
    return json.dumps(value, ensure_ascii=False, indent=1)


# --- safetensors ------------------------------------------------------------

def safetensors_seeds():
    import torch
    from safetensors.torch import save

    write("safetensors", "f32_f16_bf16.safetensors",
          save({"w": torch.arange(6, dtype=torch.float32).reshape(2, 3),
                "h": torch.tensor([1.5, -2.0], dtype=torch.float16),
                "b": torch.tensor([[0.25], [4.0]], dtype=torch.bfloat16)}, metadata={"format": "pt"}))
    write("safetensors", "int_scalar_empty.safetensors",
          save({"step": torch.tensor(7, dtype=torch.int64), "mask": torch.tensor([True, False]),
                "none": torch.zeros(0, 4, dtype=torch.float32)}))
    write("safetensors", "no_tensors.safetensors", save({}, metadata={"k": "v"}))

    # Hand-made edge cases by the format's definition (u64 LE length, JSON, data).
    def raw(header, payload=b""):
        text = header.encode("utf-8")
        return struct.pack("<Q", len(text)) + text + payload
    write("safetensors", "overlap.safetensors",
          raw('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
              '"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}', b"\0" * 8))
    write("safetensors", "huge_shape.safetensors",
          raw('{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}', b"\0" * 8))
    write("safetensors", "length_past_end.safetensors", struct.pack("<Q", 1 << 40) + b"{}")
    # A real checkpoint truncated in its data: the header promises more bytes.
    real = (ROOT / "tests/fixtures/hf/gpt2/reference.safetensors").read_bytes()
    header_end = 8 + struct.unpack("<Q", real[:8])[0]
    if header_end < 4096:
        write("safetensors", "real_truncated.safetensors", real[:header_end + 64])


# --- sharded index ------------------------------------------------------------

def sharded_seeds():
    s1, s2 = "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"
    ok = {"metadata": {"total_size": 26}, "weight_map": {"a": s1, "b": s1, "c": s2, "d": s2}}
    write("sharded_index", "valid.json", dumps(ok))
    write("sharded_index", "missing_tensor.json", dumps({"weight_map": {"a": s1, "c": s2}}))
    write("sharded_index", "wrong_shard.json", dumps({"weight_map": {"a": s2, "b": s1, "c": s2, "d": s2}}))
    write("sharded_index", "outside.json", dumps({"weight_map": {"a": "../" + s1}}))
    write("sharded_index", "absent_shard.json", dumps({"weight_map": {"a": "model-00003-of-00003.safetensors"}}))
    write("sharded_index", "self.json", dumps({"weight_map": {"a": "model.safetensors.index.json"}}))
    write("sharded_index", "not_object.json", '{"weight_map": ["a", 1, null]}')


# --- tokenizer.json -------------------------------------------------------------

def cut_tokenizer(document, keep_ids=300, keep_merges=60, keep_added=4):
    """The same pipeline with a vocabulary cut to its first ids and the merges
    whose parts and result stay in it."""
    model = dict(document["model"])
    vocab = {token: i for token, i in model["vocab"].items() if i < keep_ids}
    merges = []
    for merge in model["merges"]:
        left, right = merge if isinstance(merge, list) else merge.split(" ", 1)
        if left in vocab and right in vocab and left + right in vocab:
            merges.append(merge)
        if len(merges) == keep_merges:
            break
    model["vocab"], model["merges"] = vocab, merges
    cut = dict(document)
    cut["model"] = model
    cut["added_tokens"] = [dict(t, id=keep_ids + i) for i, t in enumerate(document.get("added_tokens", [])[:keep_added])]
    return cut


def tokenizer_seeds():
    sources = {
        "qwen3-mini": ROOT / "tests/tokenizer_peer/fixtures/qwen3-mini/tokenizer.json",
        "llama3-mini": ROOT / "tests/tokenizer_peer/fixtures/llama3-mini/tokenizer.json",
        "gpt2": VOCAB / "gpt2/tokenizer.json",
        "llama2": VOCAB / "llama2/tokenizer.json",
    }
    seeds = {}
    for name, path in sources.items():
        if not path.exists():
            print(f"skipped {path} (absent)", file=sys.stderr)
            continue
        seeds[name] = cut_tokenizer(json.loads(path.read_text(encoding="utf-8")))
        write("tokenizer_json", f"{name}_cut.json", dumps(seeds[name]))
    if "gpt2" in seeds:
        base = seeds["gpt2"]
        strings = dict(base, model=dict(base["model"], merges=[
            m if isinstance(m, str) else " ".join(m) for m in base["model"]["merges"]]))
        write("tokenizer_json", "merges_as_strings.json", dumps(strings))
        nfkc = dict(base, normalizer={"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "NFD"}]})
        write("tokenizer_json", "normalizer_sequence.json", dumps(nfkc))
        unk = dict(base, model=dict(base["model"], unk_token="<unk>", fuse_unk=True, ignore_merges=True))
        write("tokenizer_json", "unk_ignore_merges.json", dumps(unk))
        write("tokenizer_json", "bad_merge.json",
              dumps(dict(base, model=dict(base["model"], merges=[["no", "such"], "x"]))))
        write("tokenizer_json", "dropout.json", dumps(dict(base, model=dict(base["model"], dropout=0.1))))
    write("tokenizer_json", "empty_object.json", "{}")

    texts = ["Hello, world! It's 2026.", "<|im_start|>user\nhi<|im_end|>", "<|begin_of_text|>x",
             "Cafe\u0301 \ufb01 \u212b \u1e9b\u0323", "\u4f60\u597d\u4e16\u754c 12345 \u0661\u0662",
             "\U0001f600\U0001f44d\U0001f3fd", "  \t\n\r\n  spaces   ", "don't I'LL we've"]
    for i, text in enumerate(texts):
        for pick in (0, 1):
            write("tokenizer_text", f"text{i}_{pick}", bytes([pick]) + text.encode("utf-8"))
    write("tokenizer_text", "invalid_utf8", b"\x00abc\xff\xfe\xc3(")
    write("tokenizer_text", "overlong_nul", b"\x01\xc0\x80 \xed\xa0\x80")


# --- chat templates ---------------------------------------------------------------

def chat_template_seeds():
    sys.path.insert(0, str(ROOT / "tests/chat_peer"))
    from chat_templates import TEMPLATES  # the peer check's hand-written templates
    for name, template in TEMPLATES.items():
        write("chat_template", f"{name}.jinja", template.source)
    for family in ("qwen3", "llama3"):
        config = VOCAB / family / "tokenizer_config.json"
        if config.exists():
            source = json.loads(config.read_text(encoding="utf-8")).get("chat_template")
            if isinstance(source, str):
                write("chat_template", f"{family}_real.jinja", source)
    edge = {
        "unclosed_for.jinja": "{% for m in messages %}{{ m.content }}",
        "deep_parens.jinja": "{{ " + "(" * 200 + "1" + ")" * 200 + " }}",
        "macro_recursion.jinja": "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
        "big_range.jinja": "{% for i in range(100) %}{{ i }}{% endfor %}",
        "raise.jinja": "{{ raise_exception('no system role') }}",
        "slices.jinja": "{{ messages[-1]['content'][::-1] }}{{ 'ab' * 3 }}{{ messages|length }}",
        "set_namespace.jinja": "{% set ns = namespace(found=false) %}{% for m in messages %}"
                               "{% if m.role == 'system' %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }}",
        "filters.jinja": "{{ messages|map(attribute='role')|join(',')|upper|trim }}{{ tools|tojson(indent=2) }}",
    }
    for name, source in edge.items():
        write("chat_template", name, source)


# --- run configs, JSONL, PEFT, bundles ------------------------------------------------

def run_config_seeds():
    for config in sorted((ROOT / "resources/configs").glob("*.json")):
        write("run_config", config.name, config.read_bytes())
    write("run_config", "overrides.json",
          b'{"adapter": {"variant": "lora"}}\0training.lr=1e-3\0adapter.targets=["c_attn"]\0model.preset=gpt2-tiny')
    write("run_config", "bad_override.json", b'{}\0training.steps\0=3\0a..b=1')
    write("run_config", "wrong_types.json", dumps({"seed": -1, "training": {"steps": "ten"}, "adapter": []}))


def jsonl_seeds():
    for path in sorted((ROOT / "tests/fixtures/jsonl").glob("*.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines()[:6]
        write("jsonl_line", path.name, "\n".join(lines) + "\n")
    write("jsonl_line", "edge.jsonl", "\n".join([
        '{"prompt": "p", "completion": ""}',
        '{"prompt": "p", "completoin": "c"}',
        '{"messages": [{"role": "user", "content": "q"}]}',
        '{"messages": [{"role": "assistant", "content": "a"}, {"role": "user", "content": 1}]}',
        '{"text": null}', '[1, 2]', '', '   ', '{"instruction": "i", "output": "o", "task": 3}',
        '{"text": "\\ud800 lone surrogate"}', 'not json at all',
    ]) + "\n")


def peft_seeds():
    for family in ("gpt2", "llama"):
        config = json.loads((ROOT / f"tests/fixtures/peft/{family}/adapter_config.json").read_text())
        write("peft_config", f"{family}_peft_0.21.json", dumps(config))
    gpt2 = json.loads((ROOT / "tests/fixtures/peft/gpt2/adapter_config.json").read_text())
    write("peft_config", "regex_target.json", dumps(dict(gpt2, target_modules=r".*\.h\.[01]\.(attn\.c_attn|mlp\.c_fc)")))
    write("peft_config", "patterns.json", dumps(dict(gpt2, rank_pattern={"c_fc": 4, "h\\.1\\.attn.*": 4},
                                                     alpha_pattern={"c_proj": 2.5}, use_rslora=True)))
    write("peft_config", "exclude.json", dumps(dict(gpt2, exclude_modules=["c_proj"])))
    write("peft_config", "dora.json", dumps(dict(gpt2, use_dora=True)))
    write("peft_config", "bad_regex.json", dumps(dict(gpt2, target_modules="(((", rank_pattern={"[": 2})))
    write("peft_config", "not_lora.json", dumps({"peft_type": "PREFIX_TUNING", "r": "8"}))


def sira_seeds():
    # The harness's bundle: 4 experts of rank 4 on every linear layer of the
    # GPT-2 fixture (2 layers: c_attn, c_proj, c_fc and mlp c_proj).
    modules = [f"transformer.h.{i}.{m}" for i in range(2) for m in ("attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj")]
    manifest = {
        "format": "lorawb.sira_bundle", "format_version": 1, "base_model": "tests/fixtures/hf/gpt2",
        "architecture": "gpt2", "weights": "sira_adapter.safetensors", "dtype": "float",
        "r": 4, "lora_alpha": 8, "lora_dropout": 0.0, "use_rslora": False,
        "target_modules": ["c_attn", "c_proj", "c_fc"],
        "sira": {"experts": 4, "top_k": 2, "capacity_factor": 1.25, "capacity_group": "batch",
                 "renormalize_gates": True, "expert_dropout": 0.0, "aux_loss_coef": 0.01},
        "modules": [{"path": m} for m in modules], "expert_folders": [],
    }
    write("sira_manifest", "valid.json", dumps(manifest))
    write("sira_manifest", "one_module.json", dumps(dict(manifest, modules=[{"path": modules[0]}])))
    write("sira_manifest", "top_k_over.json", dumps(dict(manifest, sira={"experts": 4, "top_k": 9})))
    write("sira_manifest", "unknown_module.json", dumps(dict(manifest, modules=[{"path": "lm_head"}, 3])))
    write("sira_manifest", "newer.json", dumps(dict(manifest, format_version=2)))


def dlp_seeds():
    reference = json.loads((CORPUS / "dlp_manifest/reference.json").read_text())  # hand-written, kept
    write("dlp_manifest", "top_k_sentence.json",
          dumps(dict(reference, granularity="sentence",
                     selection={"rule": "top_k", "k": 2, "weights": "renormalize"})))
    write("dlp_manifest", "one_task.json", dumps(dict(reference, tasks=reference["tasks"][:1])))
    write("dlp_manifest", "outside_folder.json",
          dumps(dict(reference, tasks=[{"task": "first", "folder": "../../etc"}, reference["tasks"][1]])))
    write("dlp_manifest", "plugin_mismatch.json", dumps(dict(reference, plugin=dict(reference["plugin"], width=9))))
    write("dlp_manifest", "no_version.json", '{"format": "lorawb.dlp_bundle"}')


def run_store_seeds(run_store):
    if run_store:
        target = CORPUS / "run_store" / "recorded_run.db"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(run_store, target)
        db = sqlite3.connect(target)
        db.execute("PRAGMA journal_mode=DELETE")
        db.execute("PRAGMA page_size=512")
        db.execute("VACUUM")
        db.close()
    write("run_store", "header_only.db", b"SQLite format 3\0" + b"\0" * 84)
    write("run_store", "not_sqlite.db", b"runs.db from somewhere else\n")


# --- dictionaries -----------------------------------------------------------------

JSON_TOKENS = ['{', '}', '[', ']', ':', ',', '"', 'true', 'false', 'null', '-0', '1e308', '-1', '0.5',
               '18446744073709551616', '"\\u0000"', '"\\ud800"']
JINJA_TOKENS = ['{{', '}}', '{%', '%}', '{#', '#}', '{%-', '-%}', '{{-', '-}}', 'for', 'in', 'endfor', 'if',
                'elif', 'else', 'endif', 'set', 'endset', 'macro', 'endmacro', 'call', 'endcall', 'filter',
                'endfilter', 'namespace', 'loop.index', 'loop.first', 'loop.last', 'break', 'continue', 'not',
                'and', 'or', 'is', 'defined', 'none', 'None', 'True', 'False', 'range', 'raise_exception',
                'messages', 'message', 'role', 'content', 'add_generation_prompt', 'bos_token', 'eos_token',
                'tools', 'tojson', 'trim', 'join', 'length', 'map', 'selectattr', 'upper', 'lower', 'split',
                'startswith', 'endswith', 'strip', 'items', 'replace', '|', '~', '**', '//', '[::-1]']


def harvest(folder):
    """Every key and short string of the JSON seeds in a folder."""
    words = set()
    def walk(value):
        if isinstance(value, dict):
            for key, item in value.items():
                words.add(json.dumps(key, ensure_ascii=False))
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and len(value) <= 24:
            words.add(json.dumps(value, ensure_ascii=False))
    for path in sorted(folder.iterdir()):
        for part in path.read_bytes().split(b"\0"):
            try:
                walk(json.loads(part))
            except (ValueError, UnicodeDecodeError):
                for line in part.splitlines():
                    try:
                        walk(json.loads(line))
                    except (ValueError, UnicodeDecodeError):
                        pass
    return words


def write_dict(harness, tokens):
    DICTS.mkdir(exist_ok=True)
    lines = []
    for token in sorted(set(tokens)):
        escaped = token.replace("\\", "\\\\").replace('"', '\\"')
        if escaped.isascii() and escaped.isprintable() and len(escaped) <= 64:
            lines.append(f'"{escaped}"')
    (DICTS / f"{harness}.dict").write_text(
        f"# libFuzzer dictionary for fuzz_{harness} (written by make_corpus.py)\n" + "\n".join(lines) + "\n",
        encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run-store", help="a run store recorded by lorawb train")
    args = parser.parse_args()
    safetensors_seeds()
    sharded_seeds()
    tokenizer_seeds()
    chat_template_seeds()
    run_config_seeds()
    jsonl_seeds()
    peft_seeds()
    sira_seeds()
    dlp_seeds()
    run_store_seeds(args.run_store)
    for harness in ("sharded_index", "tokenizer_json", "run_config", "jsonl_line", "peft_config",
                    "sira_manifest", "dlp_manifest"):
        write_dict(harness, JSON_TOKENS + sorted(harvest(CORPUS / harness)))
    write_dict("safetensors", JSON_TOKENS + ['"dtype"', '"shape"', '"data_offsets"', '"__metadata__"']
               + [f'"{d}"' for d in ("BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16",
                                      "I32", "U32", "F32", "F64", "I64", "U64")])
    write_dict("chat_template", JINJA_TOKENS)


if __name__ == "__main__":
    main()
