"""Hand-written chat templates for the chat-template peer check (tests/chat_peer).

Written out by hand after the well-known formats (not copied from any model
repository): ChatML, Mistral's [INST] (plain and with a folded system message),
Gemma, Phi-3 and Qwen2.5 (a default system message, tool calls), turns built
by macros, a "feature tour" of the Jinja constructs chat templates use, and a
"python tour" of Python's own semantics on message text (code-point lengths
and slices, strip with characters, %, printing of booleans, None and lists,
tests with a bare argument, string comparison and repetition, string
escapes, float printing, case-blind unique). The real
templates come from ../shared/vocab (render_chat_peer.py finds them).

Each template travels with the special tokens its tokenizer would carry:
transformers passes a tokenizer's special_tokens_map to the template.
Raw strings keep the Jinja escapes ('\\n') as the template text has them.
"""
from typing import NamedTuple


class Template(NamedTuple):
    special_tokens: dict
    source: str


TEMPLATES = {
    "chatml": Template(
        {"bos_token": "<s>", "eos_token": "<|im_end|>"},
        r"""{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}""",
    ),
    "mistral-inst": Template(
        {"bos_token": "<s>", "eos_token": "</s>"},
        r"""{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}""",
    ),
    "mistral-system": Template(
        {"bos_token": "<s>", "eos_token": "</s>"},
        r"""{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content'] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set loop_messages = messages %}
{%- endif %}

{{- bos_token }}
{%- for message in loop_messages %}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}
        {{- raise_exception('After the optional system message, roles must alternate user/assistant/user/assistant/...') }}
    {%- endif %}
    {%- if message['role'] == 'user' %}
        {%- if loop.first and system_message is defined %}
            {{- ' [INST] ' + system_message + '\n\n' + message['content'] + ' [/INST]' }}
        {%- else %}
            {{- ' [INST] ' + message['content'] + ' [/INST]' }}
        {%- endif %}
    {%- elif message['role'] == 'assistant' %}
        {{- ' ' + message['content'] + eos_token}}
    {%- else %}
        {{- raise_exception('Only user and assistant roles are supported, after an optional system message!') }}
    {%- endif %}
{%- endfor %}
""",
    ),
    "gemma": Template(
        {"bos_token": "<bos>", "eos_token": "<eos>"},
        r"""{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}""",
    ),
    "phi3": Template(
        {"bos_token": "<s>", "eos_token": "<|endoftext|>"},
        r"""{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>
' + message['content'] + '<|end|>
'}}{% elif message['role'] == 'user' %}{{'<|user|>
' + message['content'] + '<|end|>
'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>
' + message['content'] + '<|end|>
'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>
' }}{% else %}{{ eos_token }}{% endif %}""",
    ),
    # Qwen's tokenizers carry no BOS token.
    "qwen2.5": Template(
        {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
        r"""{%- if tools %}
    {{- '<|im_start|>system\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
    {%- endif %}
    {{- "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n<tools>" }}
    {%- for tool in tools %}
        {{- "\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\n</tools><|im_end|>\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}
    {%- else %}
        {{- '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\n<tool_call>\n{"name": "' }}
            {{- tool_call.name }}
            {{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\n<tool_response>\n' }}
        {{- message.content }}
        {{- '\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}
""",
    ),
    # Tool-use templates build turns with macros: parameters with defaults,
    # keyword arguments, a macro calling another, top-level names inside.
    "macro-turns": Template(
        {"bos_token": "<s>", "eos_token": "<|end|>"},
        r"""{%- set marker = '|' -%}
{%- macro turn(role, content, close=true) -%}
<{{ marker }}{{ role }}{{ marker }}>{{ content | trim }}{% if close %}{{ eos_token }}{% endif %}
{%- endmacro -%}
{%- macro conversation(items, numbered=false) -%}
  {%- for m in items %}
{{ (loop.index ~ '. ') if numbered }}{{ turn(m.role, m.content) }}
  {%- endfor %}
{%- endmacro -%}
{{ bos_token }}{{ conversation(messages, numbered=messages | length > 2) }}
{%- if add_generation_prompt %}
{{ turn('assistant', '', close=false) }}
{%- endif %}
""",
    ),
    # Not a model's format: the expressions, filters, tests, methods and
    # whitespace rules of engine/data/jinja in one template.
    "feature-tour": Template(
        {"bos_token": "<BOS>", "eos_token": "<EOS>"},
        r"""{#- a comment that strips both sides -#}
{%- set ns = namespace(users=0, last_user='', seen=[]) -%}
{%- set roles = messages | map(attribute='role') | list -%}
<{{ bos_token }}|{{ messages | length }} message{{ 's' if messages | length != 1 else '' }}|{{ roles | join(',') }}>
{% for message in messages %}
  {% if message.role == 'user' %}
    {% set ns.users = ns.users + 1 %}
    {% set ns.last_user = message.content %}
  {% endif %}
  {% set ns.seen = ns.seen + [message.role[:1] | upper] %}
[{{ loop.index }}/{{ loop.length }} i0={{ loop.index0 }} rev={{ loop.revindex }}{{ ' first' if loop.first }}{{ ' last' if loop.last }}] {{ message.role | capitalize }}: {{ message.content | trim }}
  {%- if message.content.strip() == '' %} (empty){% endif %}
  {%- if 'please' in message.content.lower() %} (polite){% elif message.content.endswith('?') %} (question){% endif %}

{% else %}
(no messages)
{% endfor %}
{% set words = (ns.last_user ~ ' x').split() %}
users={{ ns.users }} seen={{ ns.seen | join('') }} first-word={{ words[0] }} words={{ words | length }} last={{ words[-1] }}
reversed={% for m in messages[::-1] %}{{ m.role[0] }}{% endfor %} tail={% for m in messages[1:] %}{{ m.role[-1:] }}{% endfor %} even={% for m in messages[::2] %}{{ loop.index0 }}{% endfor %}

math={{ 7 // 2 }},{{ -7 // 2 }},{{ 7 % 3 }},{{ 2 ** 10 }},{{ 3 * 4 - 5 }},{{ (1 + 2) * 3 }},{{ 7 / 2 }}
strings={{ '  pad  ' | trim }}|{{ 'a-b-c'.replace('-', '+') }}|{{ 'x,y,,z'.split(',') | length }}|{{ ' x '.strip() }}|{{ 'Title me' | title }}|{{ 'abc'[1] }}{{ 'abcdef'[1:4] }}{{ 'abcdef'[::-1] }}{{ 'abcdef'[-2:] }}
json={{ {'role': 'tool', 'n': 3, 'ok': true, 'none': none, 'list': [1, 'two', false]} | tojson }}
{% set checks = [messages is defined, nothing is defined, none is none, 'a' is string, 3 is number, ns.users is integer, 4 is even, 3 is odd, messages[0].content is string] -%}
tests={% for c in checks %}{{ 'T' if c else 'F' }}{% endfor %}
{% set logic = [true and not false, 1 < 2 and 2 <= 2 and 3 > 2, 'k' not in {'j': 1}, 'ab' in 'cabd', 2 in [1, 2], not (1 == 1.0)] -%}
logic={% for c in logic %}{{ 'T' if c else 'F' }}{% endfor %},{{ [] or 'fallback' }},{{ 'x' if 0 else 'y' }},{{ nothing | default('dflt') }},{{ '' | default('empty', true) }}
{%- for m in messages if m.role == 'assistant' %}
 a{{ loop.index }}={{ m.content.split() | length }}
{%- endfor %}
{% for i in range(5) %}{% if i == 3 %}{% break %}{% endif %}{% if i == 1 %}{% continue %}{% endif %}{{ i }}{% endfor %}
{% if add_generation_prompt %}
<gen>
{%- else %}
<{{ eos_token }}>
{%- endif %}
""",
    ),
    # Python's answers where other Jinja engines differ (transformers.js'
    # @huggingface/jinja among them), on the messages' own text.
    "python-tour": Template(
        {"bos_token": "<s>", "eos_token": "</s>"},
        r"""{%- for m in messages %}
{{ loop.index }} {{ m.role }} len={{ m.content | length }} head={{ m.content[:3] | tojson }} tail={{ m.content[::-1][:2] | tojson }}
  {{- ' stripped=' ~ m.content.strip(' \n') | length }} words={{ m.content.split() | length }} mod={{ -(m.content | length) % 3 }}
  {{- ' even=' ~ (m.content | length is divisibleby 2) }} late={{ m.role > 'b' }} plain={{ m.content.lstrip('\n') == m.content }}
  {{- ' escaped=' ~ m.content.strip('\u3000\xa0\x20\101') | length }} scaled={{ (m.content | length) * 1e6 }} words={{ m.content.split() | unique | list | length }}
{% endfor %}
{{ messages | map(attribute='role') | list }} {{ messages | length / 2 }} {{ 'ab' * 2 }} {{ add_generation_prompt }} {{ none }}
""",
    ),
}
