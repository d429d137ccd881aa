#!/usr/bin/env python3
"""Generation: `lorawb generate` against transformers' own `generate`.

Greedy decoding with a repetition penalty (transformers'
RepetitionPenaltyLogitsProcessor: a logit of a token in the prompt or the
continuation divided by the penalty when positive, multiplied when negative)
on small random models that transformers builds and saves with a published
tokenizer beside them (GPT-2's and Llama 2's from ../shared/vocab): the
prompt is given as token ids to both (`lorawb generate --prompt-ids`,
`model.generate(input_ids)`), and the new tokens must be the same, token for
token. End ids: with generation_config.json's eos_token_id a list whose second
id is a token greedy decoding emits midway, both must stop there (transformers
keeps the end id in its output, lorawb leaves it out and says finished).

Near ties: a random float32 model can put two logits within rounding of each
other, and then either library may pick either; a step whose top two processed
scores (transformers' output_scores) differ by less than TIE lets the
comparison stop there (printed), which did not happen in the recorded runs.

Teeth: lorawb with the penalty off (1.0) must NOT give transformers' tokens with
the penalty on, and with the list's second end id removed it must run past it.

Expected values: transformers as printed at the start (written against
transformers 5.25.0, torch 2.13.0).

usage: check_generation.py PATH/TO/lorawb SOURCE_DIR   (exit 77: libraries missing)
"""
import json
import os
import shutil
import sys

import interop_common as common

NEW_TOKENS = 24
TIE = 1e-4  # processed-score gap under which a step counts as a near tie

# name, family, tokenizer folder (../shared/vocab/NAME), config, penalty
CASES = [
    ("gpt2", "gpt2", "gpt2", dict(vocab_size=50257, n_embd=32, n_layer=2, n_head=4, n_positions=128,
                                  bos_token_id=50256, eos_token_id=50256), 1.3),
    ("gpt2-penalty-below-1", "gpt2", "gpt2", dict(vocab_size=50257, n_embd=32, n_layer=2, n_head=4, n_positions=128,
                                                  bos_token_id=50256, eos_token_id=50256), 0.7),
    ("llama-gqa", "llama", "llama2", dict(vocab_size=32000, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                                          num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                                          bos_token_id=1, eos_token_id=2, tie_word_embeddings=False), 1.5),
]


def vocab_dir(source_dir, name):
    return os.path.join(os.path.dirname(os.path.abspath(source_dir)), "shared", "vocab", name)


def save_case(family, config, tokenizer_dir, folder, seed):
    model = common.build_model(family, seed, **config)
    model.save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        if os.path.isfile(os.path.join(tokenizer_dir, name)):
            shutil.copy(os.path.join(tokenizer_dir, name), folder)
    return model


def set_end_ids(folder, model, end_ids):
    """generation_config.json's eos_token_id, in the file lorawb reads and in the model transformers runs."""
    path = os.path.join(folder, "generation_config.json")
    common.edit_json(path, lambda document: document.update(eos_token_id=end_ids))
    model.generation_config.eos_token_id = end_ids


def transformers_generate(torch, model, prompt, penalty):
    """transformers' greedy tokens after the prompt, and each step's top-two gap."""
    with torch.no_grad():
        out = model.generate(torch.tensor([prompt]), attention_mask=torch.ones(1, len(prompt), dtype=torch.long),
                             do_sample=False, repetition_penalty=penalty, max_new_tokens=NEW_TOKENS,
                             pad_token_id=0, output_scores=True, return_dict_in_generate=True)
    tokens = out.sequences[0, len(prompt):].tolist()
    gaps = [float(score[0].topk(2).values[0] - score[0].topk(2).values[1]) for score in out.scores]
    return tokens, gaps


def lorawb_generate(lorawb, folder, prompt, penalty, work):
    ids_file = os.path.join(work, "prompt.json")
    with open(ids_file, "w") as f:
        json.dump(prompt, f)
    return json.loads(lorawb.call("generate", "--model", folder, "--prompt-ids", ids_file,
                                  "--max-new-tokens", str(NEW_TOKENS), "--repetition-penalty", str(penalty)))


def same_tokens(got, expected, gaps):
    """(equal, how many compared): equal up to the first near tie, if any."""
    for step, (a, b) in enumerate(zip(got, expected)):
        if a != b:
            return gaps[step] < TIE, step
    return len(got) == len(expected), len(expected)


class Check:
    def __init__(self, torch, lorawb, work):
        self.torch, self.lorawb, self.work = torch, lorawb, work
        self.failed = 0

    def verdict(self, ok, text):
        self.failed += 0 if ok else 1
        print(f"{'ok  ' if ok else 'FAIL'} {text}", flush=True)

    def run(self, name, family, tokenizer_dir, config, penalty, seed):
        torch, lorawb, work = self.torch, self.lorawb, self.work
        folder = os.path.join(work, name)
        model = save_case(family, config, tokenizer_dir, folder, seed)
        # The config's own end id stays in the list: both libraries must honour every entry.
        set_end_ids(folder, model, [config["eos_token_id"]])
        prompt = common.random_token_ids(config["vocab_size"], 8, seed)
        expected, gaps = transformers_generate(torch, model, prompt, penalty)
        got = lorawb_generate(lorawb, folder, prompt, penalty, work)
        equal, compared = same_tokens(got["ids"], expected, gaps)
        self.verdict(equal, f"{name}: greedy, repetition penalty {penalty}: {compared} of {len(expected)} tokens "
                            f"equal (smallest top-two gap {min(gaps):.2e})")
        unpenalized = lorawb_generate(lorawb, folder, prompt, 1.0, work)["ids"]
        self.verdict(unpenalized != expected, f"teeth: {name}: penalty off in lorawb "
                                              f"{'differs' if unpenalized != expected else 'NOT caught'}")

        # An end-id list whose second id is the token greedy decoding emits at step 5.
        stop_at = 5
        end_ids = [config["eos_token_id"], expected[stop_at]]
        if expected[stop_at] in expected[:stop_at]:
            print(f"note {name}: token {expected[stop_at]} also comes earlier; the list stops at its first use")
        set_end_ids(folder, model, end_ids)
        listed, listed_gaps = transformers_generate(torch, model, prompt, penalty)
        got = lorawb_generate(lorawb, folder, prompt, penalty, work)
        ends_like = (listed[-1] in end_ids and got["finished"] and got["ids"] == listed[:-1])
        self.verdict(ends_like, f"{name}: eos_token_id list {end_ids}: transformers {len(listed)} tokens "
                                f"(last {listed[-1]}), lorawb {len(got['ids'])} + end, finished={got['finished']}")
        set_end_ids(folder, model, [config["eos_token_id"]])
        past = lorawb_generate(lorawb, folder, prompt, penalty, work)["ids"]
        self.verdict(len(past) > len(got["ids"]), f"teeth: {name}: without the second end id lorawb runs on "
                                                  f"({len(past)} tokens)")


def main():
    lorawb_path, source_dir = sys.argv[1], sys.argv[2]
    torch = common.start("generation")
    for _, _, vocab, _, _ in CASES:
        if not os.path.isfile(os.path.join(vocab_dir(source_dir, vocab), "tokenizer.json")):
            print(f"generation: skipped, {vocab_dir(source_dir, vocab)} is missing")
            return common.SKIP
    work = common.work_folder()
    check = Check(torch, common.Lorawb(lorawb_path, source_dir, work), work)
    for seed, (name, family, vocab, config, penalty) in enumerate(CASES, start=11):
        try:
            check.run(name, family, vocab_dir(source_dir, vocab), config, penalty, seed)
        except Exception as error:  # each case reports on its own
            check.verdict(False, f"{name}: {type(error).__name__}: {common.first_line(error)}")
    print(f"{check.failed} failed")
    return 1 if check.failed else 0


if __name__ == "__main__":
    sys.exit(main())
