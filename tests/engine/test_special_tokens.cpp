// Qt Test suite for engine/tokenizer/special_tokens: the precedence rules by
// which a checkpoint folder's files name bos/eos/pad/unk and the stop ids, and
// the errors for what is missing or malformed.
//
// Every expected outcome below is what transformers 5.25.0 gives on the same
// files (AutoTokenizer's .x_token, GenerationConfig's eos_token_id); each
// rule was observed there with AutoTokenizer.from_pretrained on such folders,
// and tests/interop/check_special_tokens.py compares lorawb with transformers
// on the real published layouts (GPT-2, Llama 2/3, Qwen3). Here the rules are
// pinned one by one on hand-written folders, without Python.
#include "engine/data/sequence_format.h"
#include "engine/model/model_location.h"
#include "engine/tokenizer/bpe_tokenizer.h"
#include "engine/tokenizer/special_tokens.h"
#include "error_capture.h"
#include "tiny_tokenizer.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <fstream>

namespace {

using Json = nlohmann::json;
using lwb::test::contains;
using lwb::test::errorOf;

void writeJson(const std::string &path, const Json &value)
{
    std::ofstream(path, std::ios::binary) << value.dump(2);
}

const Json kByteLevel = lwb::test::tinyTokenizerJson({});
// A tokenizer.json of the SentencePiece kind: no ByteLevel step anywhere.
const Json kMetaspace = Json{{"pre_tokenizer", {{"type", "Metaspace"}}}, {"decoder", {{"type", "ByteFallback"}}}};

std::string contentOf(const std::optional<lwb::SpecialTokenChoice> &choice)
{
    return choice ? choice->content : std::string("<none>");
}

class TestSpecialTokens : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir dir_;
    std::string path(const char *file) const { return dir_.path().toStdString() + "/" + file; }
    lwb::SpecialTokenSettings read(const Json &tokenizerJson = kByteLevel) const
    {
        return lwb::readSpecialTokenSettings(dir_.path().toStdString(), tokenizerJson);
    }

private slots:
    void init()
    {
        for (const auto &entry : std::filesystem::directory_iterator(dir_.path().toStdString()))
            std::filesystem::remove_all(entry.path());
    }

    // GPT-2 as published: tokenizer_config.json names nothing; the class
    // comes from config.json's model_type and brings <|endoftext|> for all
    // but pad; the stop id is config.json's eos_token_id.
    void classDefaultsFromTheModelType()
    {
        writeJson(path("tokenizer_config.json"), {{"model_max_length", 1024}});
        writeJson(path("config.json"), {{"model_type", "gpt2"}, {"eos_token_id", 50256}});
        const auto settings = read();
        QCOMPARE(settings.tokenizerClass, std::string("GPT2Tokenizer"));
        QCOMPARE(contentOf(settings.bos), std::string("<|endoftext|>"));
        QCOMPARE(contentOf(settings.eos), std::string("<|endoftext|>"));
        QCOMPARE(contentOf(settings.unk), std::string("<|endoftext|>"));
        QVERIFY(!settings.pad);
        QVERIFY(contains(settings.eos->origin, "GPT2Tokenizer's default"));
        QVERIFY(contains(settings.eos->origin, "model_type \"gpt2\""));
        QCOMPARE(settings.stopIds, (std::vector<std::int64_t>{50256}));
        QVERIFY(contains(settings.stopIdsOrigin, "config.json: eos_token_id"));
    }

    // A key in tokenizer_config.json beats the class default, null included;
    // "Fast" names the same class.
    void tokenizerConfigOverridesDefaults()
    {
        writeJson(path("tokenizer_config.json"),
                  {{"tokenizer_class", "Qwen2TokenizerFast"}, {"eos_token", "<|im_end|>"}, {"unk_token", nullptr}});
        const auto settings = read();
        QCOMPARE(settings.tokenizerClass, std::string("Qwen2Tokenizer"));
        QCOMPARE(contentOf(settings.eos), std::string("<|im_end|>"));
        QVERIFY(contains(settings.eos->origin, "tokenizer_config.json: eos_token"));
        QCOMPARE(contentOf(settings.pad), std::string("<|endoftext|>")); // Qwen2Tokenizer's default
        QVERIFY(!settings.unk);                                          // removed by null
        QVERIFY(!settings.bos);                                          // Qwen2Tokenizer has none
    }

    // special_tokens_map.json wins over tokenizer_config.json, but is read only
    // when tokenizer_config.json has no added_tokens_decoder; its values may
    // be AddedToken objects.
    void specialTokensMapPrecedence()
    {
        writeJson(path("tokenizer_config.json"), {{"eos_token", "</s>"}});
        writeJson(path("special_tokens_map.json"),
                  {{"eos_token", {{"content", "<|eot_id|>"}, {"lstrip", false}}}, {"pad_token", "<pad>"}});
        auto settings = read();
        QCOMPARE(contentOf(settings.eos), std::string("<|eot_id|>"));
        QCOMPARE(contentOf(settings.pad), std::string("<pad>"));
        QVERIFY(contains(settings.eos->origin, "special_tokens_map.json: eos_token"));

        writeJson(path("tokenizer_config.json"), {{"eos_token", "</s>"}, {"added_tokens_decoder", Json::object()}});
        settings = read();
        QCOMPARE(contentOf(settings.eos), std::string("</s>"));
        QVERIFY(!settings.pad);
    }

    // No tokenizer_class and no config.json: the generic class, no defaults.
    void genericClassHasNoDefaults()
    {
        writeJson(path("tokenizer_config.json"), {{"tokenizer_class", "PreTrainedTokenizerFast"}});
        const auto settings = read();
        QCOMPARE(settings.tokenizerClass, std::string("TokenizersBackend"));
        QVERIFY(!settings.bos && !settings.eos && !settings.pad && !settings.unk);
        QVERIFY(settings.stopIds.empty());
    }

    // LlamaTokenizer over a ByteLevel tokenizer.json (Llama 3 fine-tunes) is
    // loaded as the generic class; over a SentencePiece one it brings <s> </s> <unk>.
    void llamaTokenizerDependsOnTheFile()
    {
        writeJson(path("tokenizer_config.json"), {{"tokenizer_class", "LlamaTokenizer"}});
        QCOMPARE(read(kByteLevel).tokenizerClass, std::string("TokenizersBackend"));
        const auto sentencePiece = read(kMetaspace);
        QCOMPARE(sentencePiece.tokenizerClass, std::string("LlamaTokenizer"));
        QCOMPARE(contentOf(sentencePiece.bos), std::string("<s>"));
        QCOMPARE(contentOf(sentencePiece.eos), std::string("</s>"));
        QCOMPARE(contentOf(sentencePiece.unk), std::string("<unk>"));
    }

    // A model type whose registered class differs: qwen2 is one transformers
    // knows hubs misname (its class wins); mistral's is the generic one.
    void modelTypeCanOverrideTheDeclaredClass()
    {
        writeJson(path("tokenizer_config.json"), {{"tokenizer_class", "GPT2Tokenizer"}});
        writeJson(path("config.json"), {{"model_type", "qwen2"}});
        QCOMPARE(read().tokenizerClass, std::string("Qwen2Tokenizer"));
        writeJson(path("config.json"), {{"model_type", "mistral"}});
        QCOMPARE(read(kMetaspace).tokenizerClass, std::string("TokenizersBackend"));
        writeJson(path("config.json"), {{"model_type", "gemma"}});
        QCOMPARE(read().tokenizerClass, std::string("GPT2Tokenizer")); // the hub's class is trusted
    }

    // generation_config.json's eos_token_id (a list: every id stops) beats
    // config.json's; without either, the config class's default.
    void stopIds()
    {
        writeJson(path("config.json"), {{"model_type", "llama"}, {"eos_token_id", 128001}});
        writeJson(path("generation_config.json"), {{"eos_token_id", {128001, 128008, 128009}}});
        auto settings = read();
        QCOMPARE(settings.stopIds, (std::vector<std::int64_t>{128001, 128008, 128009}));
        QVERIFY(contains(settings.stopIdsOrigin, "generation_config.json: eos_token_id"));

        std::filesystem::remove(path("generation_config.json"));
        writeJson(path("config.json"), {{"model_type", "llama"}});
        settings = read();
        QCOMPARE(settings.stopIds, (std::vector<std::int64_t>{2})); // LlamaConfig's eos_token_id
        QVERIFY(contains(settings.stopIdsOrigin, "default eos_token_id of model_type \"llama\""));
    }

    // The end token: the eos token's id, else the first stop id; stop ids fall
    // back to the end token.
    void endTokenResolution()
    {
        const auto vocabulary = [](const std::string &token) -> std::optional<std::int64_t> {
            if (token == "<|endoftext|>")
                return 7;
            if (token == "<|im_end|>")
                return 9;
            return std::nullopt;
        };
        lwb::SpecialTokenSettings settings;
        settings.folder = "/m";
        settings.eos = lwb::SpecialTokenChoice{"<|im_end|>", "t"};
        auto resolved = lwb::resolveSpecialTokenIds(settings, vocabulary);
        QCOMPARE(resolved.endTokenId, std::optional<std::int64_t>(9));
        QCOMPARE(resolved.stopIds, (std::vector<std::int64_t>{9}));
        QVERIFY(resolved.missingEndTokenMessage().empty());

        settings.eos.reset();
        settings.stopIds = {7, 9};
        resolved = lwb::resolveSpecialTokenIds(settings, vocabulary);
        QCOMPARE(resolved.endTokenId, std::optional<std::int64_t>(7));
        QCOMPARE(resolved.stopIds, (std::vector<std::int64_t>{7, 9}));

        settings.eos = lwb::SpecialTokenChoice{"<missing>", "/m/tokenizer_config.json: eos_token"};
        resolved = lwb::resolveSpecialTokenIds(settings, vocabulary);
        QVERIFY(!resolved.endTokenId);
        const auto message = resolved.missingEndTokenMessage();
        QVERIFY2(contains(message, "\"<missing>\"") && contains(message, "is not a token of this tokenizer")
                     && contains(message, "/m/tokenizer_config.json"),
                 message.c_str());
    }

    // Malformed values name the file and key.
    void malformedValues()
    {
        writeJson(path("tokenizer_config.json"), {{"eos_token", 5}});
        QVERIFY(
            contains(errorOf([&] { read(); }), "tokenizer_config.json: eos_token: expected a string or an AddedToken"));
        writeJson(path("tokenizer_config.json"), {{"pad_token", {{"lstrip", true}}}});
        QVERIFY(contains(errorOf([&] { read(); }), "tokenizer_config.json: pad_token.content"));
        writeJson(path("tokenizer_config.json"), {{"add_bos_token", "yes"}});
        QVERIFY(contains(errorOf([&] { read(); }), "tokenizer_config.json: add_bos_token: expected true or false"));
        writeJson(path("tokenizer_config.json"), Json::object());
        writeJson(path("generation_config.json"), {{"eos_token_id", {1, "two"}}});
        QVERIFY(contains(errorOf([&] { read(); }), "generation_config.json: eos_token_id[1]: expected a token id"));
        std::ofstream(path("config.json")) << "{ not json";
        std::filesystem::remove(path("generation_config.json"));
        QVERIFY(contains(errorOf([&] { read(); }), "config.json"));
    }

    // Through the tokenizer: a folder without any end token still encodes
    // and scores; only appending an answer's end token asks for one, and the
    // error says which file to add it to.
    void onlyWhatAppendsAnEndTokenRequiresIt()
    {
        writeJson(path("tokenizer.json"), kByteLevel);
        writeJson(path("tokenizer_config.json"), {{"model_max_length", 64}});
        const lwb::SequenceFormat format(lwb::BpeTokenizer::fromFile(path("tokenizer.json")), path("tokenizer.json"));
        QCOMPARE(format.promptIds("ab").size(), std::size_t(2));
        QVERIFY(!format.endTokenId());
        QVERIFY(format.stopIds().empty());
        const auto message = errorOf([&] { format.answerIds("a"); });
        QVERIFY2(contains(message, path("tokenizer.json")) && contains(message, "names no eos_token")
                     && contains(message, "add \"eos_token\"") && contains(message, path("tokenizer_config.json")),
                 message.c_str());

        // The eos only as config.json's eos_token_id (a generic tokenizer): that id ends answers.
        writeJson(path("config.json"), {{"model_type", "llama"}, {"eos_token_id", 97}});
        const lwb::SequenceFormat fromConfig(lwb::BpeTokenizer::fromFile(path("tokenizer.json")),
                                             path("tokenizer.json"));
        QCOMPARE(fromConfig.answerIds("a").back(), std::int64_t(97));
        QCOMPARE(fromConfig.padId(), std::int64_t(97));
    }

    // Hub cache: models--ORG--NAME resolves through refs/main; a broken
    // layout says what is wrong.
    void hubCacheFolders()
    {
        const auto repo = path("models--org--tiny");
        const auto snapshot = repo + "/snapshots/abc123";
        std::filesystem::create_directories(snapshot);
        writeJson(snapshot + "/config.json", Json::object());
        QCOMPARE(lwb::resolveHubCacheFolder(repo), snapshot); // the only snapshot
        QCOMPARE(lwb::resolveHubCacheFolder(snapshot), snapshot);
        std::filesystem::create_directories(repo + "/snapshots/def456");
        QVERIFY(contains(errorOf([&] { lwb::resolveHubCacheFolder(repo); }), "2 snapshots"));
        std::filesystem::create_directories(repo + "/refs");
        std::ofstream(repo + "/refs/main") << "abc123\n";
        QCOMPARE(lwb::resolveHubCacheFolder(repo), snapshot);
        std::ofstream(repo + "/refs/main") << "0000";
        const auto missing = errorOf([&] { lwb::resolveHubCacheFolder(repo); });
        QVERIFY2(contains(missing, "refs/main names snapshot 0000") && contains(missing, "does not exist"),
                 missing.c_str());
    }
};

} // namespace

QTEST_GUILESS_MAIN(TestSpecialTokens)
#include "test_special_tokens.moc"
