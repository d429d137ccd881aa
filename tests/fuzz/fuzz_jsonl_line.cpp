// Fuzzes JSONL datasets (engine/data: readJsonlDataset / parseJsonlExample):
// the input is a .jsonl file, usually a few lines. It is read three ways: bad
// lines collected (skipBadLines), bad lines as one error, and chat lines
// through a real ChatML template (Qwen's shape, which tests/chat_peer checks
// against transformers) instead of the default one. Every example read must
// have a non-empty answer (its completion), and the eval split must take it.
#include "engine/core/error.h"
#include "engine/data/chat_format.h"
#include "engine/data/jsonl_dataset.h"
#include "fuzz_support.h"

#include <cstdlib>

namespace {

const char *const kChatMl = "{%- for message in messages %}"
                            "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}"
                            "{%- endfor %}"
                            "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

void check(const lwb::JsonlDataset &dataset)
{
    for (const auto &example : dataset.examples) {
        if (example.answer.empty())
            std::abort(); // the header promises: an empty completion is a bad line
        (void)lwb::isEvalByRatio(example, 0.1);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static const lwb::ChatFormat chatMl(kChatMl, "fuzz/tokenizer_config.json: chat_template",
                                        lwb::ChatTokens{"", "<|im_end|>"}, false);
    const auto path = lwb::fuzz::scratch().write("data.jsonl", lwb::fuzz::bytesOf(data, size));
    try {
        check(lwb::readJsonlDataset(path, /*skipBadLines=*/true));
    } catch (const lwb::Error &) {
    }
    try {
        check(lwb::readJsonlDataset(path, /*skipBadLines=*/false));
    } catch (const lwb::Error &) {
    }
    try {
        check(lwb::readJsonlDataset(path, /*skipBadLines=*/true, chatMl));
    } catch (const lwb::Error &) {
    }
    return 0;
}
