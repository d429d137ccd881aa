// Cuts a real byte-level BPE tokenizer.json down to its first N merges, so a
// small, real-configured tokenizer can be committed for the quick test.
//
// The result keeps the original's normalizer, pre-tokenizer, decoder, model
// flags, added tokens and ids; its vocabulary is the 256 byte symbols plus the
// tokens the kept merges produce. Encoding with it differs from the full
// tokenizer (fewer merges) but is fully specified, so the peer can produce
// expected ids for it (encode_peer.js) and the C++ test can run without npm.
//
// usage: node make_mini_tokenizer.js SRC_DIR OUT_DIR [MERGES]
// SRC_DIR holds tokenizer.json (and tokenizer_config.json).
"use strict";

const fs = require("fs");
const path = require("path");

function byteAlphabet() {
  const direct = [];
  for (let b = 33; b <= 126; ++b) direct.push(b);
  for (let b = 161; b <= 172; ++b) direct.push(b);
  for (let b = 174; b <= 255; ++b) direct.push(b);
  const symbols = [];
  let next = 256;
  for (let b = 0; b < 256; ++b) symbols.push(String.fromCodePoint(direct.includes(b) ? b : next++));
  return symbols;
}

function main() {
  const [srcDir, outDir, mergeArg] = process.argv.slice(2);
  if (!srcDir || !outDir) throw new Error("usage: make_mini_tokenizer.js SRC_DIR OUT_DIR [MERGES]");
  const maxMerges = Number(mergeArg || 4000);
  const source = JSON.parse(fs.readFileSync(path.join(srcDir, "tokenizer.json"), "utf8"));
  const model = source.model;

  const vocab = {};
  for (const symbol of byteAlphabet()) {
    if (!(symbol in model.vocab)) throw new Error(`byte symbol ${symbol} missing from the vocabulary`);
    vocab[symbol] = model.vocab[symbol];
  }
  const merges = [];
  for (const merge of model.merges) {
    if (merges.length >= maxMerges) break;
    const [left, right] = Array.isArray(merge) ? merge : merge.split(" ");
    if (!(left in vocab) || !(right in vocab)) continue; // needs a dropped token
    vocab[left + right] = model.vocab[left + right];
    merges.push(merge);
  }

  const mini = { ...source, model: { ...model, vocab, merges } };
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, "tokenizer.json"), JSON.stringify(mini) + "\n");

  const configPath = path.join(srcDir, "tokenizer_config.json");
  if (fs.existsSync(configPath)) {
    const config = JSON.parse(fs.readFileSync(configPath, "utf8"));
    const kept = {};
    for (const key of ["tokenizer_class", "bos_token", "eos_token", "pad_token", "unk_token",
      "add_prefix_space", "clean_up_tokenization_spaces"]) {
      if (key in config) kept[key] = config[key];
    }
    fs.writeFileSync(path.join(outDir, "tokenizer_config.json"), JSON.stringify(kept, null, 2) + "\n");
  }
  console.log(`${outDir}: ${Object.keys(vocab).length} vocabulary entries, ${merges.length} merges`);
}

main();
