// Encodes the test corpus with the peer implementation and writes the
// expected ids as a JSON fixture for tests/engine/test_bpe_tokenizer.cpp.
//
// The peer is @lenml/tokenizers, a port of the transformers.js tokenizers
// (itself a port of Hugging Face tokenizers' behaviour), pinned in
// package.json. It loads any tokenizer.json (plus tokenizer_config.json
// beside it, when present), so the same script serves the real Qwen3 and
// Llama-3 files and the small checked-in ones.
//
// usage: node encode_peer.js --tokenizer PATH/tokenizer.json --out FILE.json
//                            [--count N] [--name NAME] [--relative]
// --relative stores the tokenizer path relative to the output file (for
// fixtures committed next to their tokenizer).
"use strict";

const fs = require("fs");
const path = require("path");
const { TokenizerLoader } = require("@lenml/tokenizers");
const { generateCorpus } = require("./corpus");

function parseArgs(argv) {
  const args = { count: 2400, name: "", relative: false };
  for (let i = 0; i < argv.length; ++i) {
    const key = argv[i];
    if (key === "--relative") args.relative = true;
    else if (["--tokenizer", "--out", "--count", "--name"].includes(key)) args[key.slice(2)] = argv[++i];
    else throw new Error(`unknown argument ${key}`);
  }
  if (!args.tokenizer || !args.out) throw new Error("usage: encode_peer.js --tokenizer PATH --out FILE [--count N] [--name NAME] [--relative]");
  args.count = Number(args.count);
  return args;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const tokenizerPath = path.resolve(args.tokenizer);
  const configPath = path.join(path.dirname(tokenizerPath), "tokenizer_config.json");
  const tokenizerJSON = JSON.parse(fs.readFileSync(tokenizerPath, "utf8"));
  const tokenizerConfig = fs.existsSync(configPath) ? JSON.parse(fs.readFileSync(configPath, "utf8")) : {};
  const tokenizer = TokenizerLoader.fromPreTrained({ tokenizerJSON, tokenizerConfig });
  // The package's "exports" hide package.json from require(); read it directly.
  const peerPackage = path.join(path.dirname(require.resolve("@lenml/tokenizers")), "..", "package.json");
  const peerVersion = JSON.parse(fs.readFileSync(peerPackage, "utf8")).version;

  const cases = generateCorpus(args.count).map((text) => {
    const ids = tokenizer.encode(text, { add_special_tokens: false });
    const normalized = tokenizer.normalizer ? tokenizer.normalizer(text) : text;
    const entry = { text, ids };
    if (normalized !== text) entry.normalized = normalized;
    return entry;
  });

  const outPath = path.resolve(args.out);
  fs.mkdirSync(path.dirname(outPath), { recursive: true });
  const fixture = {
    generator: "tests/tokenizer_peer/encode_peer.js",
    peer: `@lenml/tokenizers@${peerVersion}`,
    name: args.name || path.basename(path.dirname(tokenizerPath)),
    tokenizer: args.relative ? path.relative(path.dirname(outPath), tokenizerPath) : tokenizerPath,
    cases,
  };
  // One case per line keeps the committed fixtures diffable.
  const lines = cases.map((c) => "    " + JSON.stringify(c));
  const head = JSON.stringify({ ...fixture, cases: undefined }, null, 2).replace(/\n}$/, "");
  fs.writeFileSync(outPath, `${head},\n  "cases": [\n${lines.join(",\n")}\n  ]\n}\n`);
  console.log(`${fixture.name}: ${cases.length} strings encoded by ${fixture.peer} -> ${outPath}`);
}

main();
