// See chat_format.h.
#include "engine/data/chat_format.h"

#include "engine/data/json_fields.h"

namespace lwb {

namespace {

bool isBlank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Checks the shape every chat line must have.
void validate(const nlohmann::json &messages, const std::string &where)
{
    if (!messages.is_array() || messages.empty())
        throw Error(where, "\"messages\" must be a non-empty array of {\"role\", \"content\"} objects");
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const auto &message = messages[i];
        const auto at = where + " messages[" + std::to_string(i) + "]";
        if (!message.is_object())
            throw Error(at, "must be an object with \"role\" and \"content\"");
        const auto role = stringField(message, "role", at);
        stringField(message, "content", at);
        for (const auto &item : message.items())
            if (item.key() != "role" && item.key() != "content")
                throw Error(at, "unknown key \"" + item.key() + "\"");
        if (role != "system" && role != "user" && role != "assistant")
            throw Error(at, "role \"" + role + "\" is not system, user or assistant");
        if (i + 1 == messages.size() && role != "assistant")
            throw Error(at, "the last message must be the assistant's (it is the completion)");
    }
}

} // namespace

ChatFormat::ChatFormat(std::string source, std::string origin, ChatTokens tokens, bool dropBosText)
    : source_(std::move(source))
    , origin_(std::move(origin))
    , tokens_(std::move(tokens))
    , dropBosText_(dropBosText)
{
}

const ChatTemplate &ChatFormat::compiled() const
{
    if (!compiled_) {
        try {
            compiled_ = std::make_shared<const ChatTemplate>(*source_, origin_);
        } catch (const Error &error) {
            throw ChatTemplateSyntaxError(error.where(), error.reason());
        }
    }
    return *compiled_;
}

void ChatFormat::split(const nlohmann::json &messages, std::string &prompt, std::string &answer,
                       const std::string &where) const
{
    validate(messages, where);
    if (!usesTemplate()) {
        prompt.clear();
        for (std::size_t i = 0; i + 1 < messages.size(); ++i)
            prompt += messages[i]["role"].get<std::string>() + ": " + messages[i]["content"].get<std::string>() + "\n";
        prompt += "assistant: ";
        answer = messages.back()["content"].get<std::string>();
        return;
    }
    const auto &chat = compiled();
    std::string full;
    try {
        prompt = chat.render(nlohmann::json(messages.begin(), messages.end() - 1), true, tokens_);
        full = chat.render(messages, false, tokens_);
    } catch (const Error &error) {
        throw Error(where, error.what());
    }
    if (full.compare(0, prompt.size(), prompt) != 0)
        throw Error(
            where,
            "the chat template (" + origin_
                + ") is not prefix-stable: the conversation without its "
                  "last answer, rendered with add_generation_prompt, does not begin the whole rendered conversation, "
                  "so the prompt and the answer cannot be told apart");
    answer = full.substr(prompt.size());
    auto end = answer.size();
    while (end > 0 && isBlank(answer[end - 1]))
        --end;
    const auto &eos = tokens_.eosToken;
    if (!eos.empty() && end >= eos.size() && answer.compare(end - eos.size(), eos.size(), eos) == 0)
        answer.resize(end - eos.size());
    const auto &bos = tokens_.bosToken;
    if (dropBosText_ && !bos.empty() && prompt.compare(0, bos.size(), bos) == 0)
        prompt.erase(0, bos.size());
}

} // namespace lwb
