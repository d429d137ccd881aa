#!/usr/bin/env python3
"""What PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(MODEL),
ADAPTER) computes, in float64 with the Python standard library only: the
stand-in for transformers + PEFT where they are not installed (CI, this
machine), written from the published architectures and PEFT's documented
format (hf_causal_lm.py, peft_lora.py), never from LoRA Workbench's code.

usage: peft_reference.py --model DIR [--adapter DIR] (--ids JSON | --ids-of SCORE.json)
                         [--break-scaling] [--logits]
  --model          a Hugging Face folder (config.json + model.safetensors, F32/F16/BF16):
                   GPT2LMHeadModel, LlamaForCausalLM or Qwen2ForCausalLM
  --adapter        a PEFT LoRA folder (adapter_config.json + adapter_model.safetensors)
  --ids            token ids, a JSON list
  --ids-of         the "ids" of a `lorawb score` output
  --break-scaling  a deliberately wrong reference (LoRA scaling 1), to show a comparison notices
  --logits         also print the logits [T][vocab]
Prints one JSON object like `lorawb score`: ids, logprobs ([null, log p(ids[1] | ids[0]), ...]),
total_logprob, and scaling ({module: lora scaling}) when an adapter is given.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hf_causal_lm import UnsupportedInput, load_causal_lm  # noqa: E402
from peft_lora import merge_adapter  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--adapter")
    ids = parser.add_mutually_exclusive_group(required=True)
    ids.add_argument("--ids")
    ids.add_argument("--ids-of")
    parser.add_argument("--break-scaling", action="store_true")
    parser.add_argument("--logits", action="store_true")
    args = parser.parse_args()
    if args.ids is not None:
        token_ids = json.loads(args.ids)
    else:
        with open(args.ids_of) as f:
            token_ids = json.load(f)["ids"]
    try:
        model = load_causal_lm(args.model)
        vocab = len(model.layers["lm_head"].weight)
        if any(not 0 <= i < vocab for i in token_ids):
            raise UnsupportedInput("token ids outside the vocabulary of %d" % vocab)
        scalings = merge_adapter(args.adapter, model, args.break_scaling) if args.adapter else None
    except (UnsupportedInput, OSError, KeyError, ValueError) as error:
        print("peft_reference: %s" % error, file=sys.stderr)
        return 2
    logprobs, logits = model.log_probs(token_ids)
    result = {"ids": token_ids, "logprobs": logprobs, "total_logprob": sum(v for v in logprobs if v is not None)}
    if scalings is not None:
        result["scaling"] = scalings
    if args.logits:
        result["logits"] = logits
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
