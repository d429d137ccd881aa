#!/usr/bin/env python3
"""Python's Jinja2 as a second chat-template peer: the engine that
transformers' apply_chat_template runs, in the same environment
(ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols,
json.dumps as tojson, raise_exception).

  render_chat_jinja2.py check FIXTURE   re-renders every case of a fixture
                                        (render_chat_peer.js writes them) and
                                        exits 1 when any string differs
  render_chat_jinja2.py write OUT       renders the "python tour" below over
                                        the committed fixture's conversations
                                        and writes expected strings in the same
                                        format (tests/data/test_chat_template)

The python tour uses what @huggingface/jinja does differently from Python:
code-point lengths and slices of emoji, strip/lstrip with characters,
Python's % and printing of booleans, None and lists, tests with a bare
argument, string comparison and repetition. Exits 77 (CTest: skipped) when
jinja2 is not installed."""
import json
import os
import sys

try:
    import jinja2
    from jinja2.ext import loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment
except ImportError:
    print("render_chat_jinja2: python3 has no jinja2; skipped")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))

PYTHON_TOUR = r"""{%- for m in messages %}
{{ loop.index }} {{ m.role }} len={{ m.content | length }} head={{ m.content[:3] | tojson }} tail={{ m.content[::-1][:2] | tojson }}
  {{- ' stripped=' ~ m.content.strip(' \n') | length }} words={{ m.content.split() | length }} mod={{ -(m.content | length) % 3 }}
  {{- ' even=' ~ (m.content | length is divisibleby 2) }} late={{ m.role > 'b' }} plain={{ m.content.lstrip('\n') == m.content }}
{% endfor %}
{{ messages | map(attribute='role') | list }} {{ messages | length / 2 }} {{ 'ab' * 2 }} {{ add_generation_prompt }} {{ none }}
"""


class Raised(Exception):
    pass


def raise_exception(message):
    raise Raised(message)


def tojson(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    return env


def render(template, variables):
    try:
        return {"expected": template.render(**variables)}
    except Raised as error:
        return {"error": str(error)}


def variables_of(fixture, case):
    spec = fixture["templates"][case["template"]]
    return dict(case["variables"], messages=fixture["conversations"][case["conversation"]],
                bos_token=spec["bos_token"], eos_token=spec["eos_token"], tools=None)


def check(path):
    fixture = json.load(open(path, encoding="utf-8"))
    env = environment()
    templates = {name: env.from_string(spec["template"]) for name, spec in fixture["templates"].items()}
    differ = 0
    for case in fixture["cases"]:
        ours = render(templates[case["template"]], variables_of(fixture, case))
        theirs = {key: case[key] for key in ("expected", "error") if key in case}
        if ours != theirs:
            differ += 1
            if differ <= 5:
                print(f"{case['template']} #{case['conversation']} {case['variables']}\n  fixture {theirs}\n  jinja2  {ours}")
    print(f"{path}: {len(fixture['cases'])} cases, {differ} differ from jinja2 {jinja2.__version__}")
    return 1 if differ else 0


def write(out):
    source = json.load(open(os.path.join(HERE, "fixtures", "chat", "expected.json"), encoding="utf-8"))
    spec = {"bos_token": "<s>", "eos_token": "</s>", "template": PYTHON_TOUR}
    fixture = {"generator": "tests/tokenizer_peer/render_chat_jinja2.py", "peer": f"jinja2@{jinja2.__version__}",
               "templates": {"python-tour": spec}, "conversations": source["conversations"], "cases": []}
    template = environment().from_string(PYTHON_TOUR)
    for conversation in range(len(source["conversations"])):
        for generation_prompt in (True, False):
            case = {"template": "python-tour", "conversation": conversation,
                    "variables": {"add_generation_prompt": generation_prompt}}
            case.update(render(template, variables_of(fixture, case)))
            fixture["cases"].append(case)
    with open(out, "w", encoding="utf-8") as file:
        json.dump(fixture, file, ensure_ascii=False, indent=1)
        file.write("\n")
    print(f"{out}: {len(fixture['cases'])} cases")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("check", "write"):
        print(__doc__)
        sys.exit(2)
    sys.exit(check(sys.argv[2]) if sys.argv[1] == "check" else write(sys.argv[2]))
