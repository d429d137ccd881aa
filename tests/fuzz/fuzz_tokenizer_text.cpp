// Fuzzes encoding (engine/tokenizer: BpeTokenizer::encode / decode) with the
// text as input, against two fixed real tokenizers cut small
// (tests/tokenizer_peer/fixtures: Qwen3's NFC + split regex + ChatML added
// tokens, Llama 3's tiktoken-style regex). The first byte picks the
// tokenizer, the rest is the text. Invalid UTF-8 must be an lwb::Error naming
// the offset; valid text must encode, and decoding its ids must give back the
// text exactly (byte-level BPE is lossless on valid UTF-8, the normalizer
// aside: Qwen3 applies NFC, so there the round trip is checked on
// re-encoding instead).
#include "engine/core/error.h"
#include "engine/tokenizer/bpe_tokenizer.h"
#include "fuzz_support.h"

#include <cstdlib>
#include <memory>

namespace {

std::unique_ptr<lwb::BpeTokenizer> load(const char *name)
{
    return lwb::BpeTokenizer::fromFile(lwb::fuzz::sourcePath(std::string("tests/tokenizer_peer/fixtures/") + name));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static const std::unique_ptr<lwb::BpeTokenizer> tokenizers[] = {load("qwen3-mini"), load("llama3-mini")};
    if (size == 0)
        return 0;
    const bool qwen = data[0] % 2 == 0;
    const auto &tokenizer = *tokenizers[qwen ? 0 : 1];
    const std::string text(lwb::fuzz::bytesOf(data + 1, size - 1));
    std::vector<std::int64_t> ids;
    try {
        ids = tokenizer.encode(text);
    } catch (const lwb::Error &) {
        return 0; // invalid UTF-8, refused with its offset
    }
    for (const auto id : ids) {
        if (id < 0 || id >= tokenizer.vocabSize())
            std::abort(); // an id outside the vocabulary would index out of an embedding
    }
    const auto decoded = tokenizer.decode(ids, lwb::SpecialTokens::Keep);
    if (qwen) {
        // NFC may change the text once; after that encoding is stable.
        if (tokenizer.encode(decoded) != ids)
            std::abort();
    } else if (decoded != text) {
        std::abort();
    }
    (void)tokenizer.decode(ids, lwb::SpecialTokens::Skip);
    return 0;
}
