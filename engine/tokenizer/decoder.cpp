// Decoder: the decoder steps (see decoder.h).
#include "engine/tokenizer/decoder.h"

#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/utf8.h"

namespace lwb {

namespace {

std::string replaceAll(const std::string &text, std::string_view from, std::string_view to)
{
    if (from.empty())
        return text;
    std::string out;
    std::size_t previous = 0;
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, previous)) {
        out.append(text, previous, at - previous);
        out.append(to);
        previous = at + from.size();
    }
    out.append(text, previous, std::string::npos);
    return out;
}

std::string replaceMatches(const std::string &text, const SplitRegex &regex, const std::string &content)
{
    std::string out;
    std::size_t previous = 0;
    for (const auto &[begin, end] : regex.findAll(text)) {
        out.append(text, previous, begin - previous);
        out += content;
        previous = end;
    }
    out.append(text, previous, std::string::npos);
    return out;
}

std::vector<std::string> byteLevel(const std::vector<std::string> &tokens)
{
    std::string bytes;
    for (const std::string &token : tokens) {
        const std::optional<std::string> raw = byteLevelToBytes(token);
        bytes += raw ? *raw : token;
    }
    return {repairUtf8(bytes)};
}

int hexDigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
        return (c | 0x20) - 'a' + 10;
    return -1;
}

// The byte of a "<0xNN>" token, -1 for any other token. Rust's
// u8::from_str_radix reads "NN" (either case, or "+N").
int fallbackByte(const std::string &token)
{
    if (token.size() != 6 || token.compare(0, 3, "<0x") != 0 || token[5] != '>')
        return -1;
    const int high = token[3] == '+' ? 0 : hexDigit(token[3]);
    const int low = hexDigit(token[4]);
    return high < 0 || low < 0 ? -1 : high * 16 + low;
}

std::vector<std::string> byteFallback(std::vector<std::string> tokens)
{
    std::vector<std::string> out;
    std::string pending;
    const auto flush = [&] {
        if (pending.empty())
            return;
        if (findInvalidUtf8(pending) == std::string::npos) {
            out.push_back(pending);
        } else {
            for (std::size_t i = 0; i < pending.size(); ++i)
                out.emplace_back("\xef\xbf\xbd");
        }
        pending.clear();
    };
    for (std::string &token : tokens) {
        const int byte = fallbackByte(token);
        if (byte >= 0) {
            pending += static_cast<char>(byte);
            continue;
        }
        flush();
        out.push_back(std::move(token));
    }
    flush();
    return out;
}

std::string strip(const std::string &token, char32_t content, std::size_t start, std::size_t stop)
{
    std::vector<std::size_t> offsets; // character starts, then the end
    for (std::size_t pos = 0; pos < token.size();) {
        offsets.push_back(pos);
        nextCodePoint(token, pos);
    }
    const std::size_t count = offsets.size();
    offsets.push_back(token.size());
    const auto at = [&](std::size_t i) {
        std::size_t pos = offsets[i];
        return nextCodePoint(token, pos);
    };
    std::size_t first = 0;
    while (first < std::min(start, count) && at(first) == content)
        ++first;
    std::size_t last = count;
    for (std::size_t i = 0; i < stop && last > first && at(last - 1) == content; ++i)
        --last;
    return token.substr(offsets[first], offsets[last] - offsets[first]);
}

std::string cleanup(std::string text)
{
    static const std::pair<const char *, const char *> kFixes[] = {
        {" .", "."},   {" ?", "?"},           {" !", "!"},   {" ,", ","},     {" ' ", "'"},    {" n't", "n't"},
        {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
    };
    for (const auto &[from, to] : kFixes)
        text = replaceAll(text, from, to);
    return text;
}

} // namespace

Decoder::Decoder(std::vector<DecoderStep> steps)
{
    for (DecoderStep &step : steps) {
        CompiledStep compiled{std::move(step), nullptr};
        if (compiled.step.kind == DecoderStep::Kind::Replace)
            compiled.regex = std::make_shared<SplitRegex>(compiled.step.pattern, compiled.step.literal);
        steps_.push_back(std::move(compiled));
    }
}

std::string Decoder::decode(std::vector<std::string> tokens) const
{
    if (steps_.empty()) {
        std::string joined;
        for (std::size_t i = 0; i < tokens.size(); ++i)
            joined += (i ? " " : "") + tokens[i];
        return joined;
    }
    for (const CompiledStep &compiled : steps_) {
        const DecoderStep &step = compiled.step;
        switch (step.kind) {
        case DecoderStep::Kind::ByteLevel:
            tokens = byteLevel(tokens);
            break;
        case DecoderStep::Kind::ByteFallback:
            tokens = byteFallback(std::move(tokens));
            break;
        case DecoderStep::Kind::Fuse: {
            std::string joined;
            for (const std::string &token : tokens)
                joined += token;
            tokens = {std::move(joined)};
            break;
        }
        case DecoderStep::Kind::Strip: {
            std::size_t pos = 0;
            const char32_t content = nextCodePoint(step.text, pos);
            for (std::string &token : tokens)
                token = strip(token, content, step.start, step.stop);
            break;
        }
        case DecoderStep::Kind::Replace:
            for (std::string &token : tokens)
                token = replaceMatches(token, *compiled.regex, step.text);
            break;
        case DecoderStep::Kind::Metaspace:
            for (std::size_t i = 0; i < tokens.size(); ++i)
                tokens[i] = replaceAll(tokens[i], step.text, i == 0 && step.dropFirstReplacement ? "" : " ");
            break;
        case DecoderStep::Kind::BpeSuffix:
            for (std::size_t i = 0; i < tokens.size(); ++i)
                tokens[i] = replaceAll(tokens[i], step.text, i + 1 == tokens.size() ? "" : " ");
            break;
        case DecoderStep::Kind::WordPiece:
            for (std::size_t i = 0; i < tokens.size(); ++i) {
                std::string &token = tokens[i];
                if (i != 0) {
                    if (token.compare(0, step.text.size(), step.text) == 0)
                        token.erase(0, step.text.size());
                    else
                        token.insert(0, " ");
                }
                if (step.cleanup)
                    token = cleanup(std::move(token));
            }
            break;
        }
    }
    std::string text;
    for (const std::string &token : tokens)
        text += token;
    return text;
}

} // namespace lwb
