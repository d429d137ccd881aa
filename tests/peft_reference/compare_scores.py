#!/usr/bin/env python3
"""Per-token log-probabilities of `lorawb score` (float32 engine) against
peft_reference.py (float64): the same ids, and every token within
|engine - reference| <= tolerance * max(1, |reference|).

usage: compare_scores.py ENGINE.json REFERENCE.json LABEL [--tolerance 1e-4] [--expect-mismatch]
  --expect-mismatch  succeed only if some token is outside the tolerance (a
                     deliberately broken reference must be noticed)
Prints one line: LABEL, the max absolute and relative differences, the worst token.
"""
import argparse
import json
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("engine")
    parser.add_argument("reference")
    parser.add_argument("label")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("--expect-mismatch", action="store_true")
    args = parser.parse_args()
    with open(args.engine) as f:
        engine = json.load(f)
    with open(args.reference) as f:
        reference = json.load(f)
    if engine["ids"] != reference["ids"]:
        print("FAILED: %s: the reference scored other ids" % args.label)
        return 1
    pairs = [(a, b) for a, b in zip(engine["logprobs"], reference["logprobs"]) if b is not None]
    if len(pairs) < 2 or len(engine["logprobs"]) != len(reference["logprobs"]):
        print("FAILED: %s: %d scored tokens" % (args.label, len(pairs)))
        return 1
    differences = [abs(a - b) for a, b in pairs]
    worst = max(range(len(pairs)), key=lambda t: differences[t] / max(1.0, abs(pairs[t][1])))
    within = all(d <= args.tolerance * max(1.0, abs(b)) for d, (_, b) in zip(differences, pairs))
    ok = within != args.expect_mismatch
    print("%s %s: %d tokens, max |diff| %.2e, max |diff|/|ref| %.2e, worst token %d (%.6f vs %.6f)%s"
          % ("ok:" if ok else "FAILED:", args.label, len(pairs), max(differences),
             max(d / abs(b) for d, (_, b) in zip(differences, pairs)), worst + 1, pairs[worst][0], pairs[worst][1],
             "" if within else " -> outside %.0e" % args.tolerance))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
