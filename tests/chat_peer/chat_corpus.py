"""The conversations of the chat-template peer check (tests/chat_peer).

Hand-picked edge cases first (roles, multi-turn, unicode and Unicode-only
whitespace, empty content, text that looks like Jinja, <think> blocks, tool
calls and tool results, alternation errors), then seeded random ones.
Deterministic: the same count gives the same list on every machine
(random.Random with an integer seed is stable across Python 3 versions).

Python is the reference here, so nothing is held back for another engine:
answers may start with blanks, and emoji and other non-BMP characters meet
the templates that measure or slice text.
"""
import random


def system(content):
    return {"role": "system", "content": content}


def user(content):
    return {"role": "user", "content": content}


def assistant(content):
    return {"role": "assistant", "content": content}


def tool(content):
    return {"role": "tool", "content": content}


def calling(content, *calls):
    """An assistant turn with OpenAI-style tool calls ((name, arguments) pairs)."""
    return {"role": "assistant", "content": content,
            "tool_calls": [{"type": "function", "function": {"name": name, "arguments": arguments}}
                           for name, arguments in calls]}


FIXED = [
    [user("Hello!")],
    [user("Hello!"), assistant("Hi. How can I help?")],
    [system("You are terse."), user("Opposite of good?"), assistant("bad")],
    [system("Be kind."), user("Name a colour."), assistant("Blue."), user("Another, please."), assistant("Green.")],
    [user("one"), assistant("two"), user("three"), assistant("four"), user("five"), assistant("six")],
    [user("Grüße aus Köln, ça va? 中文 테스트 Ελληνικά"), assistant("Très bien — merci! 🎉")],
    [user("  leading and trailing spaces  "), assistant("\n\nnewlines around\n\n")],
    [user("tabs\tinside\tand\ttrailing\t"), assistant("line one\nline two\r\nline three")],
    [user(""), assistant("empty question")],
    [user("empty answer next"), assistant("")],
    [user("{{ not a tag }} {% neither %} {# nor this #}"), assistant("'single' \"double\" \\backslash\\")],
    [user("What is 2+2?"), assistant("<think>\nsimple sum\n</think>\n\n4")],
    [user("Think first."), assistant("<think>\n\n</think>\n\nDone.")],
    [system("first system"), user("question?"), assistant("answer"), system("late system note"), user("again"),
     assistant("ok")],
    [system("only a system message")],
    [user("Please help with this."), assistant("Sure: step one, step two.")],
    [assistant("assistant first")],
    [user("a"), user("b"), assistant("c")],
    # Python's whitespace: str.strip() takes U+3000, U+00A0, U+0085 and
    # U+2003 but not U+FEFF or U+200B; lstrip('\n') only newlines.
    [user("\u3000ideographic space\u3000"), assistant("\xa0no-break\xa0\u2003em\u2003")],
    [user("\x85next line\x85"), assistant("\ufeffbyte order mark\u200b")],
    [user("Indented?"), assistant("  \n  indented answer")],
    [user("\n\t mixed blanks \t\n"), assistant(" \n<think> spaced </think> \n answer")],
    # Emoji and other characters outside the Basic Multilingual Plane where
    # templates measure and slice text (Python counts code points).
    [user("😀🎉 emoji first"), assistant("𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐍈 and 👩‍👩‍👧 family")],
    # Reasoning: several turns with thoughts (Qwen3 keeps only the last
    # query's), a stray </think>, and two blocks in one answer.
    [user("q1"), assistant("<think>t1</think>a1"), user("q2"), assistant("<think>\nt2\n</think>\n\na2")],
    [user("q"), assistant("no opening tag</think>\n\nrest")],
    [user("q"), assistant("<think>one</think>mid<think>two</think>end")],
    [user("q"), assistant("<think>t</think>a"), user("follow-up without an answer")],
    # Tool calls and their results (Qwen2.5 and Qwen3 render them; the
    # others print the content or refuse the roles).
    [system("Use tools."), user("Weather in Paris?"),
     calling("", ("get_weather", {"city": "Paris", "unit": "celsius"})),
     tool('{"temperature": 21}'), assistant("It is 21 °C in Paris.")],
    [user("Two lookups"),
     calling("Checking both.", ("lookup", {"id": 1}), ("lookup", {"id": 2, "verbose": True})),
     tool("first"), tool("second"), assistant("Done.")],
    [user("<tool_response>looks like a result</tool_response>"), assistant("<think>hm</think>fine")],
]

PIECES = [
    "the", "quick", "brown", "fox", "Please", "why?", "naïve", "café", "日本語", "Привет", "مرحبا", "x=1;",
    "def f(): return 2", "<b>bold</b>", "50%", "$HOME", "a\\nb", '"quoted"', "it's", "😀", "—", "...",
    "𝔘𝔫𝔦", "\u3000", "\xa0", "<think>", "</think>", "{{ x }}", "ß", "İ",
]
GAPS = [" ", " ", " ", "  ", "\n", "\t", "\n\n", ", ", "\r\n", "\u2003"]
EDGES = ["", "", "", "", " ", "\n", "\t ", "\xa0"]


def random_text(rng):
    words = [rng.choice(PIECES) for _ in range(rng.randrange(9))]
    body = "".join((rng.choice(GAPS) if i else "") + word for i, word in enumerate(words))
    return rng.choice(EDGES) + body + rng.choice(EDGES)


def random_conversation(rng):
    messages = [system(random_text(rng))] if rng.random() < 0.4 else []
    for _ in range(1 + rng.randrange(3)):
        messages.append(user(random_text(rng)))
        messages.append(assistant(random_text(rng)))
    # Now and then a conversation that ends on the user's turn.
    if rng.random() < 0.2:
        messages.pop()
    return messages


def generate_conversations(count):
    rng = random.Random(20240521)
    conversations = FIXED[:count]
    while len(conversations) < count:
        conversations.append(random_conversation(rng))
    return conversations
