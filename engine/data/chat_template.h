// ChatTemplate: a Hugging Face chat template (the Jinja program in
// tokenizer_config.json's "chat_template") and what renders it.
//
// The template runs on lwb's own interpreter of the Jinja2 subset chat
// templates use (engine/data/jinja/: statements, expressions, filters, tests
// and methods listed in jinja_syntax.h and jinja_builtins.h), in the
// environment transformers' apply_chat_template gives it: trim_blocks and
// lstrip_blocks on, loop controls, the variables messages,
// add_generation_prompt, bos_token, eos_token and tools (none), and
// raise_exception(). Output is checked against transformers' own
// apply_chat_template (Python's Jinja2) by tests/data/test_chat_template.cpp
// and tests/chat_peer.
//
// Errors are lwb::Error whose `where` is the template's origin (for example
// "model/tokenizer_config.json: chat_template") and whose reason starts with
// "line L, column C:". Torch-free.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace lwb {

namespace jinja {
struct Node;
}

// The special-token texts a template may print.
struct ChatTokens
{
    std::string bosToken;
    std::string eosToken;
};

class ChatTemplate
{
public:
    // Parses `source` once; a syntax error (or a statement this interpreter
    // does not support) throws lwb::Error naming `origin`, line and column.
    ChatTemplate(std::string source, std::string origin);

    // What transformers' apply_chat_template(messages, tokenize=False,
    // add_generation_prompt=...) returns. `messages` is a JSON array of
    // {"role", "content", ...} objects.
    std::string render(const nlohmann::json &messages, bool addGenerationPrompt, const ChatTokens &tokens) const;
    // The same with every variable given (tests use extra ones such as
    // enable_thinking); `variables` is a JSON object.
    std::string renderWith(const nlohmann::json &variables) const;

    const std::string &origin() const { return origin_; }

private:
    std::string located(std::size_t offset) const;

    std::string source_;
    std::string origin_;
    std::shared_ptr<const std::vector<jinja::Node>> program_;
};

} // namespace lwb
