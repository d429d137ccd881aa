// JSONL datasets: the four line shapes, the optional task, every kind of bad
// line reported as file:line with its reason, the refusal to go on unless bad
// lines may be skipped (and then how many), and the ratio split; chat lines
// through a tokenizer's chat template (ChatFormat): prompt and answer split,
// EOS and BOS texts, a template that is not prefix-stable, one that does not
// parse.
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

constexpr const char *kChatMl = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + "
                                "message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}"
                                "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
constexpr const char *kShortChat = R"({"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]})";

// The reason a chat line gives through `chat` ("" when it is accepted).
std::string reasonWith(const lwb::ChatFormat &chat, const std::string &text)
{
    try {
        lwb::parseJsonlExample(nlohmann::json::parse(text), "f.jsonl:3", chat);
    } catch (const lwb::Error &error) {
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
        QCOMPARE(reasonFor(R"({"prompt":"p","completion":7})"),
                 std::string("\"completion\" must be a string, not number"));
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
        QCOMPARE(dataset.examples.size(), std::size_t{2});
        QCOMPARE(dataset.badLines.size(), std::size_t{2});
        QCOMPARE(dataset.badLines[0].where, path + ":3");
        QCOMPARE(dataset.examples[1].answer, std::string("fine")); // the \r of a CRLF line is not part of it

        // A number beyond a double is a bad line too (found by tests/fuzz,
        // fuzz_jsonl_line: nlohmann's out_of_range escaped the reader).
        const auto overflow = writeFile(dir, "overflow.jsonl", "{\"text\":\"x\",\"task\":11e308}\n{\"text\":\"y\"}\n");
        const auto kept = lwb::readJsonlDataset(overflow, true);
        QCOMPARE(kept.examples.size(), std::size_t{1});
        QCOMPARE(kept.badLines.size(), std::size_t{1});
        QCOMPARE(kept.badLines[0].where, overflow + ":1");
        QVERIFY2(kept.badLines[0].reason.find("not valid JSON") == 0, kept.badLines[0].reason.c_str());

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
            const lwb::TaskExample example{"t", "q" + std::to_string(i) + "\n", "a"};
            const bool side = lwb::isEvalByRatio(example, 0.2);
            QCOMPARE(lwb::isEvalByRatio(example, 0.2), side);
            if (side)
                ++eval;
            QVERIFY(!lwb::isEvalByRatio(example, 0.0));
            QVERIFY(lwb::isEvalByRatio(example, 1.0));
        }
        QVERIFY2(std::abs(eval - 2000) < 150, std::to_string(eval).c_str()); // sd 40
    }

    void chatLinesUseTheTemplate()
    {
        const lwb::ChatFormat chatml(kChatMl, "tok/tokenizer_config.json: chat_template", {"<s>", "<|im_end|>"}, false);
        const auto example = lwb::parseJsonlExample(nlohmann::json::parse(R"({"messages":[
            {"role":"system","content":"Be brief."},{"role":"user","content":"Opposite of good?"},
            {"role":"assistant","content":"bad"}],"task":"antonym"})"),
                                                    "f.jsonl:1", chatml);
        QCOMPARE(example.prompt, std::string("<|im_start|>system\nBe brief.<|im_end|>\n"
                                             "<|im_start|>user\nOpposite of good?<|im_end|>\n<|im_start|>assistant\n"));
        QCOMPARE(example.answer, std::string("bad")); // "<|im_end|>\n" is EOS: SequenceFormat appends it
        QCOMPARE(example.task, std::string("antonym"));

        // An end-of-turn that is not EOS stays in the answer.
        const lwb::ChatFormat otherEos(kChatMl, "t", {"", "</s>"}, false);
        QCOMPARE(lwb::parseJsonlExample(nlohmann::json::parse(kShortChat), "w", otherEos).answer,
                 std::string("b<|im_end|>\n"));

        // A template that writes bos_token first: dropped when the sequence starts with the BOS id anyway.
        const std::string withBos = "{{ bos_token }}" + std::string(kChatMl);
        const lwb::ChatFormat addsBos(withBos, "t", {"<s>", "<|im_end|>"}, true);
        const lwb::ChatFormat keepsBos(withBos, "t", {"<s>", "<|im_end|>"}, false);
        const auto dropped = lwb::parseJsonlExample(nlohmann::json::parse(kShortChat), "w", addsBos);
        QCOMPARE(dropped.prompt, std::string("<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\n"));
        QCOMPARE(lwb::parseJsonlExample(nlohmann::json::parse(kShortChat), "w", keepsBos).prompt,
                 "<s>" + dropped.prompt);

        // The default template still checks roles and the last message with a template.
        QVERIFY(reasonWith(chatml, R"({"messages":[{"role":"user","content":"a"}]})").find("must be the assistant's")
                != std::string::npos);
    }

    void chatTemplateErrorsNameTheirPlace()
    {
        // Not prefix-stable: the last message renders differently from a generation prompt.
        const lwb::ChatFormat unstable(
            "{% for m in messages %}{% if loop.last %}[last]{% endif %}{{ m.content }}{% endfor %}", "t", {"", ""},
            false);
        QVERIFY(reasonWith(unstable, kShortChat).find("is not prefix-stable") != std::string::npos);

        // The template refuses one conversation: a bad line with the template's message.
        const lwb::ChatFormat alternate(
            "{% if messages[0].role != 'user' %}{{ raise_exception('Start with the user') }}{% endif %}x",
            "cfg: chat_template", {"", ""}, false);
        QCOMPARE(reasonWith(alternate,
                            R"({"messages":[{"role":"system","content":"s"},{"role":"assistant","content":"a"}]})"),
                 std::string(
                     "cfg: chat_template: line 1, column 39: the template raised an exception: Start with the user"));

        // A template that does not parse stops the read even when bad lines are skipped,
        // naming the template's file; datasets without chat lines never parse it.
        QTemporaryDir dir;
        const lwb::ChatFormat broken("{% for m in messages %}", "tok/tokenizer_config.json: chat_template", {"", ""},
                                     false);
        const auto chat = writeFile(dir, "chat.jsonl", std::string(kShortChat) + "\n");
        try {
            lwb::readJsonlDataset(chat, true, broken);
            QFAIL("a template that does not parse was accepted");
        } catch (const lwb::ChatTemplateSyntaxError &error) {
            QCOMPARE(error.where(), std::string("tok/tokenizer_config.json: chat_template"));
            QCOMPARE(error.reason(),
                     std::string("line 1, column 4: {% for %} is never closed (expected {% endfor %})"));
        }
        const auto plain = writeFile(dir, "plain.jsonl", "{\"prompt\":\"p\",\"completion\":\"c\"}\n");
        QCOMPARE(lwb::readJsonlDataset(plain, false, broken).examples.size(), std::size_t(1));
    }
};

QTEST_GUILESS_MAIN(TestJsonlDataset)
#include "test_jsonl_dataset.moc"
