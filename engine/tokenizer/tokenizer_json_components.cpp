// Reading normalizer, pre_tokenizer, decoder and post_processor (see
// tokenizer_json_components.h). Field names and defaults are those of the
// tokenizers crate's serde definitions.
#include "engine/tokenizer/tokenizer_json_components.h"

#include "engine/tokenizer/utf8.h"

#include <stdexcept>

namespace lwb::tokenizer_json {

namespace {

// A pattern is compiled here once so that a bad one is refused with its path.
void checkPattern(const std::string &pattern, bool literal, const JsonPath &at)
{
    try {
        SplitRegex check(pattern, literal);
    } catch (const std::invalid_argument &e) {
        at.fail(e.what());
    }
}

SplitBehavior behaviorOf(const Json &node, const char *key, SplitBehavior fallback, const JsonPath &at)
{
    const auto it = node.find(key);
    if (it == node.end() || it->is_null())
        return fallback;
    const std::string name = stringOf(*it, at / key);
    if (name == "Removed")
        return SplitBehavior::Removed;
    if (name == "Isolated")
        return SplitBehavior::Isolated;
    if (name == "MergedWithPrevious")
        return SplitBehavior::MergedWithPrevious;
    if (name == "MergedWithNext")
        return SplitBehavior::MergedWithNext;
    if (name == "Contiguous")
        return SplitBehavior::Contiguous;
    (at / key).fail("\"" + name
                    + "\" is not a split behavior (Removed, Isolated, MergedWithPrevious, "
                      "MergedWithNext, Contiguous)");
}

// Metaspace's prepend_scheme, or the older add_prefix_space it replaced.
PrependScheme prependSchemeOf(const Json &node, const JsonPath &at)
{
    const auto it = node.find("prepend_scheme");
    if (it == node.end() || it->is_null())
        return boolOr(node, "add_prefix_space", true, at) ? PrependScheme::Always : PrependScheme::Never;
    const std::string scheme = stringOf(*it, at / "prepend_scheme");
    if (scheme == "always")
        return PrependScheme::Always;
    if (scheme == "first")
        return PrependScheme::First;
    if (scheme == "never")
        return PrependScheme::Never;
    (at / "prepend_scheme").fail("\"" + scheme + "\" is not always, first or never");
}

// Roberta/Bert's ["<s>", 0].
std::int64_t tokenIdOf(const Json &node, const char *key, const JsonPath &at)
{
    const Json &pair = member(node, key, at);
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_number_integer()
        || pair[1].get<std::int64_t>() < 0)
        (at / key).fail("expected [\"token\", id], found " + pair.dump());
    return pair[1].get<std::int64_t>();
}

std::vector<TemplatePiece> templateOf(const Json &node, const char *key, const Json &specials, const JsonPath &at)
{
    const Json &list = arrayMember(node, key, at);
    std::vector<TemplatePiece> pieces;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const JsonPath here = (at / key)[i];
        const Json &entry = list[i];
        TemplatePiece piece;
        if (entry.is_object() && entry.contains("Sequence")) {
            const std::string id
                = stringOf(member(entry["Sequence"], "id", here / "Sequence"), here / "Sequence" / "id");
            if (id != "A" && id != "B")
                (here / "Sequence" / "id").fail("expected \"A\" or \"B\", found \"" + id + "\"");
            piece.isSequence = true;
            piece.secondSequence = id == "B";
        } else if (entry.is_object() && entry.contains("SpecialToken")) {
            const std::string id
                = stringOf(member(entry["SpecialToken"], "id", here / "SpecialToken"), here / "SpecialToken" / "id");
            const auto special = specials.find(id);
            if (special == specials.end())
                (here / "SpecialToken" / "id").fail("\"" + id + "\" is not in special_tokens");
            const JsonPath specialAt = at / "special_tokens" / id;
            const Json &ids = arrayMember(*special, "ids", specialAt);
            for (std::size_t j = 0; j < ids.size(); ++j) {
                if (!ids[j].is_number_integer() || ids[j].get<std::int64_t>() < 0)
                    (specialAt / "ids")[j].fail("expected a non-negative integer id");
                piece.ids.push_back(ids[j].get<std::int64_t>());
            }
        } else {
            here.fail("expected {\"Sequence\": ...} or {\"SpecialToken\": ...}, found " + entry.dump());
        }
        pieces.push_back(std::move(piece));
    }
    return pieces;
}

} // namespace

void readNormalizer(const Json &node, const JsonPath &at, std::vector<NormalizerStep> &out)
{
    if (node.is_null())
        return;
    const std::string type = typeOf(node, at);
    NormalizerStep step;
    using Kind = NormalizerStep::Kind;
    if (type == "Sequence") {
        const Json &list = arrayMember(node, "normalizers", at);
        for (std::size_t i = 0; i < list.size(); ++i)
            readNormalizer(list[i], (at / "normalizers")[i], out);
        return;
    } else if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD") {
        step.kind = Kind::Unicode;
        step.form = type == "NFC"    ? UnicodeForm::Nfc
                    : type == "NFD"  ? UnicodeForm::Nfd
                    : type == "NFKC" ? UnicodeForm::Nfkc
                                     : UnicodeForm::Nfkd;
    } else if (type == "Prepend") {
        step.kind = Kind::Prepend;
        step.text = stringOf(member(node, "prepend", at), at / "prepend");
    } else if (type == "Replace") {
        step.kind = Kind::Replace;
        step.pattern = patternOf(node, "pattern", at, step.literal);
        step.text = stringOf(member(node, "content", at), at / "content");
        checkPattern(step.pattern, step.literal, at / "pattern");
    } else if (type == "Lowercase") {
        step.kind = Kind::Lowercase;
    } else if (type == "Strip") {
        step.kind = Kind::Strip;
        step.left = boolOr(node, "strip_left", true, at);
        step.right = boolOr(node, "strip_right", true, at);
    } else if (type == "StripAccents") {
        step.kind = Kind::StripAccents;
    } else if (type == "BertNormalizer") {
        step.kind = Kind::Bert;
        step.bert.cleanText = boolOr(node, "clean_text", true, at);
        step.bert.handleChineseChars = boolOr(node, "handle_chinese_chars", true, at);
        step.bert.lowercase = boolOr(node, "lowercase", true, at);
        // null: strip accents exactly when lowercasing (bert.rs).
        step.bert.stripAccents = boolOr(node, "strip_accents", step.bert.lowercase, at);
    } else {
        unsupported(type, at,
                    "null, NFC, NFD, NFKC, NFKD, Prepend, Replace, Lowercase, Strip, StripAccents, "
                    "BertNormalizer, Sequence");
    }
    out.push_back(std::move(step));
}

void readPreTokenizer(const Json &node, const JsonPath &at, std::vector<PreTokenizerStep> &out)
{
    if (node.is_null())
        return;
    const std::string type = typeOf(node, at);
    using Kind = PreTokenizerStep::Kind;
    if (type == "Sequence") {
        const Json &list = arrayMember(node, "pretokenizers", at);
        for (std::size_t i = 0; i < list.size(); ++i)
            readPreTokenizer(list[i], (at / "pretokenizers")[i], out);
        return;
    }
    // GPT-2's alphabet would reach any later step (see pre_tokenizer.h).
    if (!out.empty() && out.back().kind == Kind::ByteLevel)
        at.fail("a \"" + type + "\" step after ByteLevel is not supported (ByteLevel must come last)");
    PreTokenizerStep step;
    if (type == "ByteLevel") {
        step.kind = Kind::ByteLevel;
        step.addPrefixSpace = boolOr(node, "add_prefix_space", false, at);
        step.useRegex = boolOr(node, "use_regex", true, at);
    } else if (type == "Split") {
        step.kind = Kind::Split;
        step.pattern = patternOf(node, "pattern", at, step.literal);
        step.behavior = behaviorOf(node, "behavior", SplitBehavior::Isolated, at);
        if (!node.contains("behavior"))
            (at / "behavior").fail("missing");
        step.invert = boolOr(node, "invert", false, at);
        checkPattern(step.pattern, step.literal, at / "pattern");
    } else if (type == "Metaspace") {
        step.kind = Kind::Metaspace;
        step.replacement = characterOf(node, "replacement", "\u2581", at);
        step.prependScheme = prependSchemeOf(node, at);
        step.splitOnReplacement = boolOr(node, "split", true, at);
    } else if (type == "Digits") {
        step.kind = Kind::Digits;
        step.individualDigits = boolOr(node, "individual_digits", false, at);
    } else if (type == "Punctuation") {
        step.kind = Kind::Punctuation;
        step.behavior = behaviorOf(node, "behavior", SplitBehavior::Isolated, at);
    } else if (type == "Whitespace") {
        step.kind = Kind::Whitespace;
    } else if (type == "WhitespaceSplit") {
        step.kind = Kind::WhitespaceSplit;
    } else if (type == "BertPreTokenizer") {
        step.kind = Kind::Bert;
    } else if (type == "CharDelimiterSplit") {
        step.kind = Kind::CharDelimiterSplit;
        const std::string delimiter = characterOf(node, "delimiter", nullptr, at);
        std::size_t pos = 0;
        step.delimiter = nextCodePoint(delimiter, pos);
    } else {
        unsupported(type, at,
                    "null, ByteLevel, Split, Metaspace, Digits, Punctuation, Whitespace, "
                    "WhitespaceSplit, BertPreTokenizer, CharDelimiterSplit, Sequence");
    }
    out.push_back(std::move(step));
}

void readDecoder(const Json &node, const JsonPath &at, std::vector<DecoderStep> &out)
{
    if (node.is_null())
        return;
    const std::string type = typeOf(node, at);
    using Kind = DecoderStep::Kind;
    if (type == "Sequence") {
        const Json &list = arrayMember(node, "decoders", at);
        for (std::size_t i = 0; i < list.size(); ++i)
            readDecoder(list[i], (at / "decoders")[i], out);
        return;
    }
    DecoderStep step;
    if (type == "ByteLevel") {
        step.kind = Kind::ByteLevel;
    } else if (type == "ByteFallback") {
        step.kind = Kind::ByteFallback;
    } else if (type == "Fuse") {
        step.kind = Kind::Fuse;
    } else if (type == "Strip") {
        step.kind = Kind::Strip;
        step.text = characterOf(node, "content", nullptr, at);
        step.start = countOr(node, "start", 0, at);
        step.stop = countOr(node, "stop", 0, at);
    } else if (type == "Replace") {
        step.kind = Kind::Replace;
        step.pattern = patternOf(node, "pattern", at, step.literal);
        step.text = stringOf(member(node, "content", at), at / "content");
        checkPattern(step.pattern, step.literal, at / "pattern");
    } else if (type == "Metaspace") {
        step.kind = Kind::Metaspace;
        step.text = characterOf(node, "replacement", "\u2581", at);
        step.dropFirstReplacement = prependSchemeOf(node, at) != PrependScheme::Never;
    } else if (type == "BPEDecoder") {
        step.kind = Kind::BpeSuffix;
        const auto suffix = node.find("suffix");
        step.text = suffix == node.end() || suffix->is_null() ? "</w>" : stringOf(*suffix, at / "suffix");
    } else if (type == "WordPiece") {
        step.kind = Kind::WordPiece;
        const auto prefix = node.find("prefix");
        step.text = prefix == node.end() || prefix->is_null() ? "##" : stringOf(*prefix, at / "prefix");
        step.cleanup = boolOr(node, "cleanup", true, at);
    } else {
        unsupported(type, at,
                    "null, ByteLevel, ByteFallback, Fuse, Strip, Replace, Metaspace, BPEDecoder, "
                    "WordPiece, Sequence");
    }
    out.push_back(std::move(step));
}

void readPostProcessor(const Json &node, const JsonPath &at, std::vector<PostProcessorStep> &out)
{
    if (node.is_null())
        return;
    const std::string type = typeOf(node, at);
    using Kind = PostProcessorStep::Kind;
    if (type == "Sequence") {
        const Json &list = arrayMember(node, "processors", at);
        for (std::size_t i = 0; i < list.size(); ++i)
            readPostProcessor(list[i], (at / "processors")[i], out);
        return;
    }
    if (type == "ByteLevel")
        return; // offsets only
    PostProcessorStep step;
    if (type == "TemplateProcessing") {
        step.kind = Kind::Template;
        const Json &specials = member(node, "special_tokens", at);
        if (!specials.is_object())
            (at / "special_tokens").fail(std::string("expected an object, found ") + specials.type_name());
        step.single = templateOf(node, "single", specials, at);
        step.pair = templateOf(node, "pair", specials, at);
    } else if (type == "RobertaProcessing" || type == "BertProcessing") {
        step.kind = type == "RobertaProcessing" ? Kind::Roberta : Kind::Bert;
        step.clsId = tokenIdOf(node, "cls", at);
        step.sepId = tokenIdOf(node, "sep", at);
    } else {
        unsupported(type, at, "null, TemplateProcessing, RobertaProcessing, BertProcessing, ByteLevel, Sequence");
    }
    out.push_back(std::move(step));
}

} // namespace lwb::tokenizer_json
