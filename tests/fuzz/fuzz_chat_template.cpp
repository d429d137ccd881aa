// Fuzzes chat templates (engine/data: ChatTemplate on the Jinja interpreter
// of engine/data/jinja, and ChatFormat's prompt/answer split): the input is
// the template source, as a tokenizer_config.json "chat_template" would carry
// it. A template that parses is rendered the way training and generation
// render it: a fixed conversation with and without the generation prompt,
// with extra variables (tools, enable_thinking), and split by ChatFormat.
// Errors must be lwb::Error with line and column; nothing may crash or hang.
#include "engine/core/error.h"
#include "engine/data/chat_format.h"
#include "engine/data/chat_template.h"
#include "fuzz_support.h"

#include <nlohmann/json.hpp>

namespace {

const nlohmann::json &messages()
{
    static const nlohmann::json value = nlohmann::json::parse(R"([
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Translate 'chat' to English."},
        {"role": "assistant", "content": "<think>\nFrench word.\n</think>\n\ncat",
         "tool_calls": [{"function": {"name": "lookup", "arguments": {"word": "chat"}}}]},
        {"role": "tool", "content": "{\"en\": \"cat\"}"},
        {"role": "user", "content": ["not", "a", "string"]},
        {"role": "assistant", "content": "cat"}
    ])");
    return value;
}

const nlohmann::json &extraVariables()
{
    static const nlohmann::json value = [] {
        nlohmann::json variables = {{"messages", messages()},
                                    {"add_generation_prompt", true},
                                    {"bos_token", "<s>"},
                                    {"eos_token", "</s>"},
                                    {"enable_thinking", false},
                                    {"tools", nlohmann::json::parse(R"([{"type": "function",
                                        "function": {"name": "lookup", "parameters": {"type": "object"}}}])")}};
        return variables;
    }();
    return value;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string source(lwb::fuzz::bytesOf(data, size));
    const std::string origin = "fuzz/tokenizer_config.json: chat_template";
    try {
        const lwb::ChatTemplate chatTemplate(source, origin);
        const lwb::ChatTokens tokens{"<s>", "</s>"};
        for (const bool generationPrompt : {false, true}) {
            try {
                (void)chatTemplate.render(messages(), generationPrompt, tokens);
            } catch (const lwb::Error &) {
                // raise_exception(), a type error, an undefined method: each with its line.
            }
        }
        try {
            (void)chatTemplate.renderWith(extraVariables());
        } catch (const lwb::Error &) {
        }
        const lwb::ChatFormat format(source, origin, tokens, /*dropBosText=*/true);
        const auto shortChat = nlohmann::json::parse(
            R"([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello</s>"}])");
        std::string prompt, answer;
        format.split(shortChat, prompt, answer, "fuzz.jsonl:1");
    } catch (const lwb::Error &) {
    }
    return 0;
}
