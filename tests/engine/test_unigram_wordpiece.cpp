// Qt Test suite for the Unigram and WordPiece models of engine/tokenizer
// (unigram_model.h, wordpiece_model.h), BertNormalizer and the serde_json
// reading of Unigram scores, on tiny hand-written tokenizer.json files.
//
// Every expected id list and normalized string below was printed by Hugging
// Face tokenizers 0.23.3 (the project's .venv) for the same vocabulary,
// built with its Python API (models.Unigram / models.WordPiece /
// normalizers.BertNormalizer); the tie vocabulary is TIE_PIECES of
// tests/tokenizer_peer/make_synthetic_fixtures.py. The trained fixtures
// (synthetic-unigram*, synthetic-wordpiece-*) run in test_bpe_tokenizer's
// quickFixturesMatchPeer and, on ~5,200 strings each, in CTest tokenizer_peer.
#include "engine/core/error.h"
#include "engine/tokenizer/bert_normalizer.h"
#include "engine/tokenizer/bpe_tokenizer.h"
#include "engine/tokenizer/serde_json_float.h"
#include "error_capture.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QTest>

#include <cstdlib>
#include <fstream>
#include <memory>

using namespace lwb;
using Json = nlohmann::json;
using Ids = std::vector<std::int64_t>;

namespace {

using lwb::test::contains;
using lwb::test::errorOf;

// TIE_PIECES of make_synthetic_fixtures.py: scores that tie exactly, or
// only by f64 rounding (-0.1 + -0.2 is -0.30000000000000004).
Json tiePieces()
{
    return Json::array({{"<unk>", 0.0},   {"a", -1.0},   {"b", -1.0},      {"c", -2.0},
                        {"ab", -2.0},     {"ba", -2.0},  {"bc", -3.0},     {"ca", -3.0},
                        {"aba", -3.0},    {"bab", -3.0}, {"abc", -4.0},    {"cab", -5.0},
                        {"abab", -4.0},   {"x", -0.1},   {"y", -0.2},      {"xy", -0.30000000000000004},
                        {"yx", -0.3},     {"z", -0.5},   {"xyz", -0.8},    {"zx", -0.6},
                        {"\u00e9", -1.0}, {"e", -0.5},   {"\u0301", -0.5}, {"\u00e9a", -2.0},
                        {"<0x41>", -9.0}});
}

Json unigramJson(const Json &vocab, const Json &unkId, bool byteFallback)
{
    return {{"version", "1.0"},
            {"added_tokens", Json::array()},
            {"normalizer", nullptr},
            {"pre_tokenizer", nullptr},
            {"post_processor", nullptr},
            {"decoder", nullptr},
            {"model", {{"type", "Unigram"}, {"unk_id", unkId}, {"vocab", vocab}, {"byte_fallback", byteFallback}}}};
}

Json wordPieceJson(std::size_t maxChars)
{
    return {
        {"version", "1.0"},
        {"added_tokens", Json::array()},
        {"normalizer", nullptr},
        {"pre_tokenizer", nullptr},
        {"post_processor", nullptr},
        {"decoder", nullptr},
        {"model",
         {{"type", "WordPiece"},
          {"unk_token", "[UNK]"},
          {"continuing_subword_prefix", "##"},
          {"max_input_chars_per_word", maxChars},
          {"vocab",
           {{"[UNK]", 0}, {"un", 1}, {"##aff", 2}, {"##able", 3}, {"una", 4}, {"##ff", 5}, {"a", 6}, {"##a", 7}}}}}};
}

} // namespace

class TestUnigramWordPiece : public QObject
{
    Q_OBJECT

private slots:
    void init() { dir_ = std::make_unique<QTemporaryDir>(); }

    // Ties keep the first candidate in the crate's order (positions from the
    // left, shorter pieces first, strictly better replaces).
    void unigramViterbiTiesAsTokenizers_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QList<qint64>>("expected");
        QTest::newRow("abab") << "abab" << QList<qint64>{12};
        QTest::newRow("ababab") << "ababab" << QList<qint64>{4, 12};
        QTest::newRow("cabc") << "cabc" << QList<qint64>{3, 10};
        QTest::newRow("xyx") << "xyx" << QList<qint64>{13, 16};
        QTest::newRow("yxy") << "yxy" << QList<qint64>{14, 15};
        QTest::newRow("xyzxy") << "xyzxy" << QList<qint64>{18, 15};
        QTest::newRow("unknown fused") << "qqab" << QList<qint64>{0, 4};
        QTest::newRow("unknown then piece") << "q\u00e9a" << QList<qint64>{0, 23};
        QTest::newRow("emoji, no byte piece") << "\U0001F642ab" << QList<qint64>{0, 4};
        QTest::newRow("byte fallback") << "A" << QList<qint64>{24};
    }

    void unigramViterbiTiesAsTokenizers()
    {
        QFETCH(QString, text);
        QFETCH(QList<qint64>, expected);
        const auto tokenizer = load(unigramJson(tiePieces(), 0, true));
        const Ids ids = tokenizer->encode(text.toStdString());
        QCOMPARE(QList<qint64>(ids.begin(), ids.end()), expected);
    }

    // A fused unknown run takes <0xNN> pieces only when every byte has one.
    void unigramByteFallbackWholeRunOrUnk()
    {
        const Json vocab = Json::array({{"<unk>", 0.0}, {"a", -1.0}, {"<0xC3>", -3.0}, {"<0xA9>", -3.0}});
        const auto tokenizer = load(unigramJson(vocab, 0, true));
        QCOMPARE(tokenizer->encode("a\u00e9a"), (Ids{1, 2, 3, 1}));
        QCOMPARE(tokenizer->encode("a\u00e9\u00fca"), (Ids{1, 0, 1}));
        QCOMPARE(tokenizer->encode("\u00fc\u00e9a"), (Ids{0, 1}));
        // No decoder: tokens joined by spaces, as tokenizers does.
        QCOMPARE(tokenizer->decode({1, 2, 3}, SpecialTokens::Keep), std::string("a <0xC3> <0xA9>"));
        QCOMPARE(tokenizer->tokenToId("<0xA9>"), std::optional<std::int64_t>(3));
        QCOMPARE(tokenizer->vocabSize(), std::int64_t(4));
    }

    void wordPieceLongestMatchFirst()
    {
        const auto tokenizer = load(wordPieceJson(8));
        QCOMPARE(tokenizer->encode("unaff"), (Ids{4, 5}));
        QCOMPARE(tokenizer->encode("aaaaaaaa"), (Ids{6, 7, 7, 7, 7, 7, 7, 7}));
        QCOMPARE(tokenizer->encode("unab"), (Ids{0}));      // no split of the rest: the whole word
        QCOMPARE(tokenizer->encode("aaaaaaaaa"), (Ids{0})); // 9 > max_input_chars_per_word
        QCOMPARE(tokenizer->encode("unaffable"), (Ids{0}));
        QCOMPARE(tokenizer->encode("b"), (Ids{0}));
    }

    void bertNormalizerAsTokenizers()
    {
        const BertNormalizer bert(BertNormalizerOptions{});
        QCOMPARE(bert.normalize("H\u00e9llo\tW\u00f6rld\u200b" + std::string(1, '\0') + "x\ufffdy"),
                 std::string("hello worldxy"));
        QCOMPARE(bert.normalize("\u4e2d\u6587abc"), std::string(" \u4e2d  \u6587 abc"));
        QCOMPARE(bert.normalize("\u00c5NGSTR\u00d6M \u01c5"), std::string("angstrom \u01c6"));
        // lowercase=false and strip_accents null: accents stay.
        const BertNormalizer cased(BertNormalizerOptions{true, true, false, false});
        QCOMPARE(cased.normalize("H\u00e9llo \u4e2d"), std::string("H\u00e9llo  \u4e2d "));
    }

    // tokenizers read -7.4691009697199675 (synthetic-unigram's "=") as
    // -0x1.de05c012de069p+2, one unit below strtod's -0x1.de05c012de068p+2.
    void unigramScoresReadAsSerdeJson()
    {
        const double strtodValue = std::strtod("-7.4691009697199675", nullptr);
        QCOMPARE(strtodValue, -0x1.de05c012de068p+2);
        QCOMPARE(serdeJsonFloat(strtodValue), -0x1.de05c012de069p+2);
        QCOMPARE(serdeJsonFloat(-0.30000000000000004), -0.30000000000000004);
        QCOMPARE(serdeJsonFloat(-1.0), -1.0);
        QCOMPARE(serdeJsonFloat(0.0), 0.0);
    }

    void refusesBadModels_data()
    {
        QTest::addColumn<QString>("mutation");
        QTest::addColumn<QString>("expected");
        QTest::newRow("unk_id out of range") << "unk_id=9"
                                             << "model.unk_id: unk_id 99 is not an index of model.vocab";
        QTest::newRow("score not a number") << "score=text"
                                            << "model.vocab[1][1]: expected a number";
        QTest::newRow("entry not a pair") << "entry=[a]"
                                          << "model.vocab[1]: expected [piece, score]";
        QTest::newRow("vocab object") << "vocab={}"
                                      << "model.vocab: expected an array of [piece, score]";
        QTest::newRow("ByteLevel") << "pre_tokenizer=ByteLevel"
                                   << "pre_tokenizer: a ByteLevel pre-tokenizer is supported with a BPE model only";
        QTest::newRow("WordLevel") << "type=WordLevel"
                                   << "model.type: \"WordLevel\" is not supported (supported: BPE, Unigram, WordPiece)";
    }

    void refusesBadModels()
    {
        QFETCH(QString, mutation);
        QFETCH(QString, expected);
        Json json = unigramJson(tiePieces(), 0, true);
        if (mutation == "unk_id=9")
            json["model"]["unk_id"] = 99;
        else if (mutation == "score=text")
            json["model"]["vocab"][1][1] = "high";
        else if (mutation == "entry=[a]")
            json["model"]["vocab"][1] = Json::array({"a"});
        else if (mutation == "vocab={}")
            json["model"]["vocab"] = Json::object();
        else if (mutation == "pre_tokenizer=ByteLevel")
            json["pre_tokenizer"]
                = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}};
        else if (mutation == "type=WordLevel")
            json["model"]["type"] = "WordLevel";
        const std::string path = write(json);
        const std::string message = errorOf([&] { BpeTokenizer::fromFile(path); });
        QVERIFY2(contains(message, path), message.c_str());
        QVERIFY2(contains(message, expected.toStdString()), message.c_str());
    }

    // As tokenizers: "Encountered an unknown token but `unk_id` is missing",
    // "Missing [UNK] token from the vocabulary", at encode time, not at load.
    void unknownWithoutUnkFailsAtEncode()
    {
        const auto unigram = load(unigramJson(Json::array({{"a", -1.0}}), nullptr, false));
        QCOMPARE(unigram->encode("aa"), (Ids{0, 0}));
        const std::string unigramError = errorOf([&] { unigram->encode("ab"); });
        QVERIFY2(contains(unigramError, "model.unk_id") && contains(unigramError, "unk_id is null"),
                 unigramError.c_str());

        Json json = wordPieceJson(100);
        json["model"]["vocab"].erase("[UNK]");
        const auto wordPiece = load(json);
        QCOMPARE(wordPiece->encode("unaff"), (Ids{4, 5}));
        const std::string wordPieceError = errorOf([&] { wordPiece->encode("b"); });
        QVERIFY2(contains(wordPieceError, "model.unk_token") && contains(wordPieceError, "\"[UNK]\""),
                 wordPieceError.c_str());
    }

private:
    std::string write(const Json &json)
    {
        const std::string path = dir_->path().toStdString() + "/tokenizer.json";
        std::ofstream(path) << json.dump();
        return path;
    }

    std::unique_ptr<BpeTokenizer> load(const Json &json) { return BpeTokenizer::fromFile(write(json)); }

    std::unique_ptr<QTemporaryDir> dir_;
};

QTEST_GUILESS_MAIN(TestUnigramWordPiece)
#include "test_unigram_wordpiece.moc"
