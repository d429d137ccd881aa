// JSONL datasets: the four line shapes, the optional task, every kind of bad
// line reported as file:line with its reason, the refusal to go on unless bad
// lines may be skipped (and then how many), and the ratio split.
#include "engine/core/error.h"
#include "engine/data/jsonl_dataset.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

namespace {

std::string writeFile(const QTemporaryDir &dir, const std::string &name, const std::string &text)
{
    const auto path = dir.path().toStdString() + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

// The reason parseJsonlExample gives for one line ("" when it is accepted).
std::string reasonFor(const std::string &text)
{
    try {
        lwb::parseJsonlExample(nlohmann::json::parse(text), "f.jsonl:3");
    } catch (const lwb::Error &error) {
        if (error.where().rfind("f.jsonl:3", 0) != 0)
            return "wrong place: " + error.where();
        return error.reason();
    }
    return "";
}

} // namespace

class TestJsonlDataset : public QObject
{
    Q_OBJECT

private slots:
    void readsEveryShape()
    {
        using lwb::parseJsonlExample;
        const auto plain = parseJsonlExample(nlohmann::json::parse(R"({"prompt":"p: x\n","completion":"y"})"), "w");
        QCOMPARE(plain.prompt, std::string("p: x\n"));
        QCOMPARE(plain.answer, std::string("y"));
        QCOMPARE(plain.task, std::string("default"));

        const auto alpaca = parseJsonlExample(
            nlohmann::json::parse(R"({"instruction":"Translate","input":"house","output":"Haus","task":"de"})"), "w");
        QCOMPARE(alpaca.prompt, std::string("Translate\nhouse\n"));
        QCOMPARE(alpaca.answer, std::string("Haus"));
        QCOMPARE(alpaca.task, std::string("de"));
        const auto noInput
            = parseJsonlExample(nlohmann::json::parse(R"({"instruction":"Say hi","input":"","output":"hi"})"), "w");
        QCOMPARE(noInput.prompt, std::string("Say hi\n"));

        const auto chat = parseJsonlExample(nlohmann::json::parse(
                                                R"({"messages":[{"role":"system","content":"Be brief."},
                                                    {"role":"user","content":"Opposite of good?"},
                                                    {"role":"assistant","content":"bad"}]})"),
            "w");
        QCOMPARE(chat.prompt, std::string("system: Be brief.\nuser: Opposite of good?\nassistant: "));
        QCOMPARE(chat.answer, std::string("bad"));

        const auto text = parseJsonlExample(nlohmann::json::parse(R"({"text":"a dog barked"})"), "w");
        QCOMPARE(text.prompt, std::string());
        QCOMPARE(text.answer, std::string("a dog barked"));
    }

    void namesTheProblemOfEachBadLine()
    {
        QCOMPARE(reasonFor(R"(["prompt","completion"])"), std::string("expected a JSON object, found array"));
        QCOMPARE(reasonFor(R"({"prompt":"p"})"), std::string("missing \"completion\""));
        QCOMPARE(
            reasonFor(R"({"prompt":"p","completion":7})"), std::string("\"completion\" must be a string, not number"));
        QCOMPARE(reasonFor(R"({"prompt":"p","complition":"c"})"),
            std::string("unknown key \"complition\" in a prompt/completion line"));
        QCOMPARE(reasonFor(R"({"prompt":"p","completion":""})"),
            std::string("the completion is empty: a line needs something to score"));
        QCOMPARE(reasonFor(R"({"prompt":"p","completion":"c","task":""})"), std::string("\"task\" must not be empty"));
        QCOMPARE(reasonFor(R"({"question":"q"})").substr(0, 20), std::string("not a known shape: e"));
        QCOMPARE(reasonFor(R"({"messages":[]})"),
            std::string("\"messages\" must be a non-empty array of {\"role\", \"content\"} objects"));
        QCOMPARE(reasonFor(R"({"messages":[{"role":"user","content":"hi"}]})"),
            std::string("the last message must be the assistant's (it is the completion)"));
        QCOMPARE(reasonFor(R"({"messages":[{"role":"robot","content":"hi"},{"role":"assistant","content":"x"}]})"),
            std::string("role \"robot\" is not system, user or assistant"));
        QCOMPARE(reasonFor(R"({"instruction":"i","output":"o","extra":1})"),
            std::string("unknown key \"extra\" in a instruction/input/output (Alpaca) line"));
    }

    void refusesBadLinesUnlessSkipping()
    {
        QTemporaryDir dir;
        const auto path = writeFile(dir, "mixed.jsonl",
            "{\"prompt\":\"a\\n\",\"completion\":\"1\"}\n"
            "\n"
            "{\"prompt\":\"b\\n\",\"completion\":\n"
            "{\"text\":\"fine\"}\r\n"
            "{\"prompt\":\"c\\n\"}\n");
        try {
            lwb::readJsonlDataset(path, false);
            QFAIL("bad lines were accepted");
        } catch (const lwb::Error &error) {
            QCOMPARE(error.where(), path);
            const std::string reason = error.reason();
            QVERIFY2(reason.find("2 bad lines (set data.skip_bad_lines=true to skip them)") == 0, reason.c_str());
            QVERIFY2(reason.find(path + ":3: not valid JSON") != std::string::npos, reason.c_str());
            QVERIFY2(reason.find(path + ":5: missing \"completion\"") != std::string::npos, reason.c_str());
        }
        const auto dataset = lwb::readJsonlDataset(path, true);
        QCOMPARE(dataset.examples.size(), std::size_t { 2 });
        QCOMPARE(dataset.badLines.size(), std::size_t { 2 });
        QCOMPARE(dataset.badLines[0].where, path + ":3");
        QCOMPARE(dataset.examples[1].answer, std::string("fine")); // the \r of a CRLF line is not part of it

        // Many bad lines: the first 20 are listed, then a count.
        std::string many;
        for (int i = 0; i < 25; ++i)
            many += "nonsense\n";
        try {
            lwb::readJsonlDataset(writeFile(dir, "many.jsonl", many), false);
            QFAIL("bad lines were accepted");
        } catch (const lwb::Error &error) {
            QVERIFY(std::string(error.reason()).find("... and 5 more") != std::string::npos);
        }
    }

    void refusesMissingAndEmptyFiles()
    {
        QTemporaryDir dir;
        const auto missing = dir.path().toStdString() + "/absent.jsonl";
        try {
            lwb::readJsonlDataset(missing, false);
            QFAIL("a missing file was accepted");
        } catch (const lwb::Error &error) {
            QCOMPARE(error.where(), missing);
            QVERIFY(std::string(error.reason()).find("cannot open") != std::string::npos);
        }
        const auto allBad = writeFile(dir, "bad.jsonl", "{}\n");
        try {
            lwb::readJsonlDataset(allBad, true);
            QFAIL("a file without examples was accepted");
        } catch (const lwb::Error &error) {
            QVERIFY(std::string(error.reason()).find("no examples") != std::string::npos);
        }
    }

    void ratioSplitIsStableAndNearTheRatio()
    {
        std::int64_t eval = 0;
        for (int i = 0; i < 10000; ++i) {
            const lwb::TaskExample example { "t", "q" + std::to_string(i) + "\n", "a" };
            const bool side = lwb::isEvalByRatio(example, 0.2);
            QCOMPARE(lwb::isEvalByRatio(example, 0.2), side);
            if (side)
                ++eval;
            QVERIFY(!lwb::isEvalByRatio(example, 0.0));
            QVERIFY(lwb::isEvalByRatio(example, 1.0));
        }
        QVERIFY2(std::abs(eval - 2000) < 150, std::to_string(eval).c_str()); // sd 40
    }
};

QTEST_GUILESS_MAIN(TestJsonlDataset)
#include "test_jsonl_dataset.moc"
