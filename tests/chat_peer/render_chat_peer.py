#!/usr/bin/env python3
"""The chat-template peer: transformers' own apply_chat_template renders the
corpus of chat_corpus.py with every chat template, and our Jinja interpreter
(engine/data/chat_template.h, tests/data/test_chat_template.cpp) must give
every string exactly.

  render_chat_peer.py write OUT.json [--count N]
      writes the expected strings (the committed fixture: --count 40)
  render_chat_peer.py check TEST_BINARY OUT_DIR [--count N]
      writes OUT_DIR/chat.json, then runs TEST_BINARY peerCorpusMatches on it
      (CTest: chat_template_peer)

Templates: the hand-written ones of chat_templates.py, each on a tokenizer
that carries its special tokens, and every chat_template of the
tokenizer_config.json files under the vocabulary folder (LWB_VOCAB_DIR, else
../shared/vocab beside the repository), loaded from that local folder. Each
conversation renders with add_generation_prompt true and false, and with
enable_thinking=false too for a template that reads it (Qwen3). A template's
raise_exception (jinja2's bare TemplateError in transformers) becomes an
{error} case; any other failure stops the run, since a corpus the reference
cannot render checks nothing. Everything is offline (HF_HUB_OFFLINE,
TRANSFORMERS_OFFLINE). Exits 77 (CTest: skipped) when transformers or jinja2
is missing.
"""
import argparse
import json
import os
import subprocess
import sys

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

try:
    import jinja2
    import transformers
    from tokenizers import Tokenizer, models
    from transformers import AutoTokenizer, PreTrainedTokenizerFast
except ImportError as missing:
    print(f"chat_template_peer: {sys.executable} has no {missing.name} (the peer needs transformers and jinja2); skipped")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from chat_corpus import generate_conversations  # noqa: E402
from chat_templates import TEMPLATES  # noqa: E402

REPOSITORY = os.path.dirname(os.path.dirname(HERE))


def vocab_dir():
    return os.environ.get("LWB_VOCAB_DIR") or os.path.join(os.path.dirname(REPOSITORY), "shared", "vocab")


def hand_written_tokenizers():
    """name -> (tokenizer, origin): a one-word tokenizer carrying each template and its special tokens."""
    tokenizers = {}
    for name, template in TEMPLATES.items():
        word_level = Tokenizer(models.WordLevel({"<unk>": 0}, unk_token="<unk>"))
        tokenizer = PreTrainedTokenizerFast(tokenizer_object=word_level, chat_template=template.source,
                                            **template.special_tokens)
        tokenizers[name] = (tokenizer, "tests/chat_peer/chat_templates.py")
    return tokenizers


def vocab_tokenizers(root):
    """name -> (tokenizer, origin) for every local tokenizer folder with a chat template."""
    tokenizers = {}
    if not os.path.isdir(root):
        print(f"render_chat_peer: no vocabulary folder {root} (set LWB_VOCAB_DIR); hand-written templates only")
        return tokenizers
    for folder in sorted(os.listdir(root)):
        config = os.path.join(root, folder, "tokenizer_config.json")
        if not os.path.isfile(config):
            continue
        with open(config, encoding="utf-8") as file:
            if not json.load(file).get("chat_template"):
                continue
        tokenizer = AutoTokenizer.from_pretrained(os.path.join(root, folder), local_files_only=True)
        origin = f"vocab/{folder}/tokenizer_config.json"
        if isinstance(tokenizer.chat_template, dict):
            # Named templates ("default", "tool_use", ...): one entry each.
            for key in sorted(tokenizer.chat_template):
                named = AutoTokenizer.from_pretrained(os.path.join(root, folder), local_files_only=True)
                named.chat_template = tokenizer.chat_template[key]
                tokenizers[f"{folder}:{key}"] = (named, origin)
        else:
            tokenizers[folder] = (tokenizer, origin)
    return tokenizers


def variants_of(source):
    variants = [{"add_generation_prompt": True}, {"add_generation_prompt": False}]
    if "enable_thinking" in source:
        variants.append({"add_generation_prompt": True, "enable_thinking": False})
    return variants


def render_case(tokenizer, name, index, messages, variant):
    case = {"template": name, "conversation": index, "variables": variant}
    try:
        case["expected"] = tokenizer.apply_chat_template(messages, tokenize=False, **variant)
    except jinja2.exceptions.TemplateError as error:
        # raise_exception raises the bare class; its subclasses (undefined
        # names, syntax, sandbox) are failures of the template or the corpus.
        if type(error) is not jinja2.exceptions.TemplateError:
            raise RuntimeError(f"{name} on conversation {index} {variant}: {error!r}") from error
        case["error"] = error.message
    return case


def render_fixture(count):
    tokenizers = {**hand_written_tokenizers(), **vocab_tokenizers(vocab_dir())}
    conversations = generate_conversations(count)
    templates, cases = {}, []
    for name, (tokenizer, origin) in tokenizers.items():
        source = tokenizer.chat_template
        templates[name] = {"origin": origin, "special_tokens": tokenizer.special_tokens_map, "template": source}
        for index, messages in enumerate(conversations):
            for variant in variants_of(source):
                cases.append(render_case(tokenizer, name, index, messages, variant))
    return {
        "generator": "tests/chat_peer/render_chat_peer.py",
        "peer": f"transformers {transformers.__version__} apply_chat_template (jinja2 {jinja2.__version__})",
        "templates": templates,
        "conversations": conversations,
        "cases": cases,
    }


def write_fixture(path, count):
    fixture = render_fixture(count)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as file:
        json.dump(fixture, file, ensure_ascii=False, indent=1)
        file.write("\n")
    refused = sum("error" in case for case in fixture["cases"])
    print(f"{path}: {len(fixture['templates'])} templates ({', '.join(fixture['templates'])}), "
          f"{len(fixture['conversations'])} conversations, {len(fixture['cases'])} renderings "
          f"({refused} refused by the template), {fixture['peer']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    write = commands.add_parser("write")
    write.add_argument("out")
    write.add_argument("--count", type=int, default=40)
    check = commands.add_parser("check")
    check.add_argument("binary")
    check.add_argument("out_dir")
    check.add_argument("--count", type=int, default=400)
    args = parser.parse_args()
    if args.command == "write":
        write_fixture(args.out, args.count)
        return 0
    path = os.path.join(args.out_dir, "chat.json")
    write_fixture(path, args.count)
    sys.stdout.flush()
    environment = dict(os.environ, LWB_CHAT_PEER_FIXTURE=path)
    return subprocess.run([args.binary, "peerCorpusMatches"], env=environment).returncode


if __name__ == "__main__":
    sys.exit(main())
