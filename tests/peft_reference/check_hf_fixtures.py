"""The reference's base models against tests/fixtures/hf: logits of another
author's float64 PyTorch implementation (make_hf_fixtures.py), stored as F32.

Two independent readings of each architecture (GPT-2 with transformer.* keys,
GPT-2 as the Hub stores it in float16, Llama, Qwen2) must agree before the
reference's LoRA part is worth comparing with anything.

usage: check_hf_fixtures.py FIXTURES_DIR [--tolerance 1e-6]
Prints max |ours - theirs| / max |theirs| per fixture; exit 1 past the tolerance.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hf_causal_lm import load_causal_lm  # noqa: E402
from safetensors_file import SafetensorsFile  # noqa: E402

FIXTURES = ("gpt2", "gpt2-hub", "llama", "qwen2")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fixtures_dir")
    parser.add_argument("--tolerance", type=float, default=1e-6)
    args = parser.parse_args()
    failed = False
    for name in FIXTURES:
        folder = os.path.join(args.fixtures_dir, name)
        expected = SafetensorsFile(os.path.join(folder, "reference.safetensors"))
        sequences = json.loads(expected.metadata["input_ids"])
        theirs = expected.tensor("logits").values
        model = load_causal_lm(folder)
        ours = [v for ids in sequences for row in model.logits(ids) for v in row]
        if len(ours) != len(theirs):
            raise SystemExit("%s: %d logits, the fixture has %d" % (name, len(ours), len(theirs)))
        relative = max(abs(a - b) for a, b in zip(ours, theirs)) / max(abs(b) for b in theirs)
        ok = relative <= args.tolerance
        failed |= not ok
        print("%s %-9s max |diff| / max |logit| %.1e (tolerance %.0e)" % ("ok:    " if ok else "FAILED:", name,
                                                                          relative, args.tolerance))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
