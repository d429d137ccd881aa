// See chat_template.h.
#include "engine/data/chat_template.h"

#include "engine/core/error.h"
#include "engine/data/jinja/jinja_interpreter.h"
#include "engine/data/jinja/jinja_syntax.h"

namespace lwb {

ChatTemplate::ChatTemplate(std::string source, std::string origin)
    : source_(std::move(source))
    , origin_(std::move(origin))
{
    try {
        program_ = std::make_shared<const jinja::Body>(jinja::parseTemplate(source_));
    } catch (const jinja::TemplateError &error) {
        throw Error(origin_, located(error.offset) + error.what());
    }
}

std::string ChatTemplate::render(const nlohmann::json &messages, bool addGenerationPrompt,
                                 const ChatTokens &tokens) const
{
    return renderWith({
        {"messages", messages},
        {"add_generation_prompt", addGenerationPrompt},
        {"bos_token", tokens.bosToken},
        {"eos_token", tokens.eosToken},
        {"tools", nullptr},
    });
}

std::string ChatTemplate::renderWith(const nlohmann::json &variables) const
{
    jinja::Dict globals;
    for (const auto &item : variables.items())
        globals.emplace_back(item.key(), jinja::Value::fromJson(item.value()));
    try {
        return jinja::render(*program_, globals);
    } catch (const jinja::TemplateError &error) {
        if (error.raised)
            throw Error(origin_, located(error.offset) + "the template raised an exception: " + error.what());
        throw Error(origin_, located(error.offset) + error.what());
    }
}

// "line L, column C: " for a byte offset of the source (columns count bytes from 1).
std::string ChatTemplate::located(std::size_t offset) const
{
    if (offset == jinja::kNoOffset)
        return "";
    offset = std::min(offset, source_.size());
    std::size_t line = 1, lineStart = 0;
    for (std::size_t i = 0; i < offset; ++i)
        if (source_[i] == '\n') {
            ++line;
            lineStart = i + 1;
        }
    const auto column = offset - lineStart + 1;
    return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": ";
}

} // namespace lwb
