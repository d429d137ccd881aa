// The conversations of the chat-template peer check: hand-picked edge cases
// (roles, multi-turn, unicode, whitespace, empty content, text that looks
// like Jinja, <think> blocks), then seeded random ones. Deterministic: the
// same count gives the same list on every machine.
//
// Content avoids characters outside the Basic Multilingual Plane where a
// template measures or slices it (JavaScript counts UTF-16 units, Python
// code points) and Unicode-only whitespace (JavaScript's trim and Python's
// strip disagree on a few); emoji still appear, passed through verbatim.
"use strict";

const S = (content) => ({ role: "system", content });
const U = (content) => ({ role: "user", content });
const A = (content) => ({ role: "assistant", content });

const fixed = [
  [U("Hello!")],
  [U("Hello!"), A("Hi. How can I help?")],
  [S("You are terse."), U("Opposite of good?"), A("bad")],
  [S("Be kind."), U("Name a colour."), A("Blue."), U("Another, please."), A("Green.")],
  [U("one"), A("two"), U("three"), A("four"), U("five"), A("six")],
  [U("Grüße aus Köln, ça va? 中文 테스트 Ελληνικά"), A("Très bien — merci! 🎉")],
  [U("  leading and trailing spaces  "), A("\n\nnewlines around\n\n")],
  [U("tabs\tinside\tand\ttrailing\t"), A("line one\nline two\r\nline three")],
  [U(""), A("empty question")],
  [U("empty answer next"), A("")],
  [U("{{ not a tag }} {% neither %} {# nor this #}"), A("'single' \"double\" \\backslash\\")],
  [U("What is 2+2?"), A("<think>\nsimple sum\n</think>\n\n4")],
  [U("Think first."), A("<think>\n\n</think>\n\nDone.")],
  [S("first system"), U("question?"), A("answer"), S("late system note"), U("again"), A("ok")],
  [S("only a system message")],
  [U("Please help with this."), A("Sure: step one, step two.")],
  [A("assistant first")],
  [U("a"), U("b"), A("c")],
];

// mulberry32: a tiny seeded generator, so the corpus is the same everywhere.
function generator(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pieces = [
  "the", "quick", "brown", "fox", "Please", "why?", "naïve", "café", "日本語", "Привет", "مرحبا", "x=1;",
  "def f(): return 2", "<b>bold</b>", "50%", "$HOME", "a\\nb", "\"quoted\"", "it's", "😀", "—", "...",
];
const gaps = [" ", " ", " ", "  ", "\n", "\t", "\n\n", ", "];

function randomText(next) {
  const words = Math.floor(next() * 9);
  let text = next() < 0.15 ? " " : "";
  for (let i = 0; i < words; ++i)
    text += (i ? gaps[Math.floor(next() * gaps.length)] : "") + pieces[Math.floor(next() * pieces.length)];
  if (next() < 0.15) text += "\n";
  return text;
}

function randomConversation(next) {
  const messages = [];
  if (next() < 0.4) messages.push(S(randomText(next)));
  const turns = 1 + Math.floor(next() * 3);
  for (let i = 0; i < turns; ++i) {
    messages.push(U(randomText(next)));
    // No leading blanks in answers: the peer's lstrip('\n') (Qwen3's template)
    // strips every blank, Python's only newlines.
    messages.push(A(randomText(next).replace(/^[ \t]+/, "")));
  }
  return messages;
}

function generateConversations(count) {
  const next = generator(20240521);
  const all = fixed.slice(0, count);
  while (all.length < count) all.push(randomConversation(next));
  return all;
}

module.exports = { generateConversations };
