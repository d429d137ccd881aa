// ChatFormat: how a chat line's messages become a prompt and an answer.
//
// Without a template (the byte tokenizer, or a tokenizer.json whose folder
// has no chat template) the documented default applies: every message but
// the last as "role: content\n", then "assistant: "; the last message is the
// answer.
//
// With the tokenizer's chat template (tokenizer_config.json "chat_template"):
//   prompt = render(messages[:-1], add_generation_prompt=true)
//   full   = render(messages,      add_generation_prompt=false)
//   answer = full minus prompt; where it ends in the EOS token's text (and
//            blanks), those are removed: SequenceFormat appends EOS itself.
// `full` must start with `prompt` (a "prefix-stable" template); otherwise the
// line is refused as file:line. When sequences start with the BOS id, a
// bos_token text the template writes first is dropped from the prompt, so
// the model does not see BOS twice.
//
// In both cases messages are [{"role", "content"}] with roles system, user
// and assistant, the last one the assistant's. The template is parsed on
// the first chat line: a syntax error throws ChatTemplateSyntaxError (an
// lwb::Error naming tokenizer_config.json), which a dataset reports once
// rather than as a bad line. Torch-free.
#pragma once

#include "engine/core/error.h"
#include "engine/data/chat_template.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>

namespace lwb {

// A chat template that cannot be used at all (syntax), as opposed to one
// line it refuses.
class ChatTemplateSyntaxError : public Error
{
public:
    using Error::Error;
};

class ChatFormat
{
public:
    ChatFormat() = default; // the default template
    // `origin` names the template in errors ("dir/tokenizer_config.json: chat_template").
    // `dropBosText`: sequences already start with the BOS id.
    ChatFormat(std::string source, std::string origin, ChatTokens tokens, bool dropBosText);

    bool usesTemplate() const { return source_.has_value(); }
    const std::string &origin() const { return origin_; }

    // The prompt and answer of one chat line; `where` ("file:line") prefixes
    // every error about the line.
    void split(const nlohmann::json &messages, std::string &prompt, std::string &answer,
               const std::string &where) const;

private:
    const ChatTemplate &compiled() const;

    std::optional<std::string> source_;
    std::string origin_;
    ChatTokens tokens_;
    bool dropBosText_ = false;
    // Parsed on the first chat line; a ChatFormat is read by one thread at a time.
    mutable std::shared_ptr<const ChatTemplate> compiled_;
};

} // namespace lwb
