// Fuzzes tokenizer.json loading (engine/tokenizer: readTokenizerJson and the
// BpeTokenizer built from it) and then encoding with whatever was loaded:
// the input is the tokenizer.json (no tokenizer_config.json beside it). A
// tokenizer that loads must encode a few fixed texts (ASCII, an added-token
// lookalike, combining marks for the normalizer, CJK, emoji, digits) and
// decode its own ids both ways without any failure but lwb::Error.
#include "engine/core/error.h"
#include "engine/tokenizer/bpe_tokenizer.h"
#include "fuzz_support.h"

namespace {

const char *const kTexts[] = {
    "Hello, world! It's 2026.",
    "<|im_start|>user\nhi<|im_end|> <s></s>",
    "  leading   and trailing  \t\n",
    "Cafe\xcc\x81 \xef\xac\x81 \xe2\x84\xab",                 // e + combining acute, ligature fi, Angstrom sign
    "\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c 12345", // CJK and digits
    "\xf0\x9f\x98\x80\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd",       // emoji with a skin-tone modifier
    "",
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const auto path = lwb::fuzz::scratch().write("tokenizer.json", lwb::fuzz::bytesOf(data, size));
    try {
        const auto tokenizer = lwb::BpeTokenizer::fromFile(path);
        for (const char *text : kTexts) {
            const auto ids = tokenizer->encode(text);
            for (const auto id : ids) {
                (void)tokenizer->idToToken(id);
                (void)tokenizer->isSpecial(id);
            }
            (void)tokenizer->decode(ids, lwb::SpecialTokens::Keep);
            (void)tokenizer->decode(ids, lwb::SpecialTokens::Skip);
        }
        (void)tokenizer->tokenToId("hello");
        (void)tokenizer->vocabSize();
    } catch (const lwb::Error &) {
    }
    return 0;
}
