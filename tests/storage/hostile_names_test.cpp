// Names, tags, notes, configs and artifact paths that look like SQL, paths or
// markup go into the run store and come back byte for byte: quotes, a
// semicolon with a DROP TABLE after it, "../" climbs, multi-byte UTF-8
// (accents, CJK, an emoji outside the BMP) and a 1000-byte name; control
// characters in names and notes, while a tag with one is refused by name. Every statement is prepared, so none of it is
// SQL; this suite keeps it that way. After all of them the database passes PRAGMA integrity_check and its tables are
// all still there. (An export's folder name is made safe by sanitizeExportName: tests/engine/test_model_export.)
#include "storage/run_store.h"
#include "storage/sha256.h"
#include "storage/sqlite_database.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>

using namespace lwb::storage;

namespace {

const std::vector<std::string> &hostileTexts()
{
    static const std::vector<std::string> kTexts = {
        "it's a \"quoted\" name",
        "run'); DROP TABLE runs; --",
        "a;b;c",
        "../../etc/passwd",
        "..\\..\\windows",
        "Ünïcödé · 日本語 · 🚀",
        "%s %n %x {} ${HOME} $(rm -rf /) `id`",
        "<script>alert(1)</script>",
        std::string(1000, 'x') + "é",
    };
    return kTexts;
}

NewRun hostileRun(const std::string &text)
{
    NewRun run;
    run.name = text;
    run.variant = "lora";
    run.configJson = nlohmann::json{{"name", text}, {"adapter", {{"variant", "lora"}}}}.dump();
    run.device = "cpu";
    run.tags = {text, "study:" + text};
    run.notes = "notes: " + text;
    return run;
}

} // namespace

class HostileNamesTest : public QObject
{
    Q_OBJECT

private slots:
    void namesTagsNotesAndPathsRoundTrip()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("runs.db")).toStdString();
        std::vector<std::int64_t> ids;
        {
            RunStore store(path);
            for (const auto &text : hostileTexts()) {
                const auto id = store.createRun(hostileRun(text));
                store.addArtifact(id, "peft_adapter", "/exports/" + text + "/adapter_model.safetensors", FileDigest{});
                ids.push_back(id);
            }
        }
        // A fresh connection reads exactly what was written.
        RunStore store(path);
        for (std::size_t i = 0; i < ids.size(); ++i) {
            const auto &text = hostileTexts()[i];
            const auto record = store.run(ids[i]);
            QCOMPARE(record.name, text);
            QCOMPARE(record.notes, "notes: " + text);
            auto tags = record.tags;
            std::sort(tags.begin(), tags.end());
            auto expected = std::vector<std::string>{text, "study:" + text};
            std::sort(expected.begin(), expected.end());
            QCOMPARE(tags, expected);
            QCOMPARE(nlohmann::json::parse(record.configJson).at("name").get<std::string>(), text);
            const auto artifacts = store.artifacts(ids[i]);
            QCOMPARE(artifacts.size(), std::size_t(1));
            QCOMPARE(artifacts[0].path, "/exports/" + text + "/adapter_model.safetensors");

            // A tag filter finds exactly its run: the text is a value, never a pattern or SQL.
            RunFilter byTag;
            byTag.tag = text;
            const auto found = store.listRuns(byTag);
            QCOMPARE(found.size(), std::size_t(1));
            QCOMPARE(found[0].id, ids[i]);
        }
        const auto allTags = store.allTags();
        for (const auto &text : hostileTexts())
            QVERIFY(std::find(allTags.begin(), allTags.end(), text) != allTags.end());

        // Nothing was executed: every table is there and the file is sound.
        QCOMPARE(store.listRuns().size(), hostileTexts().size());
        QCOMPARE(store.database().queryInt("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'runs'"),
                 std::int64_t(1));
        QCOMPARE(store.database().queryText("PRAGMA integrity_check"), std::string("ok"));
    }

    void controlCharactersInNamesNotTags()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("runs.db")).toStdString();
        RunStore store(path);
        const std::string text = "tab\there\nnew line\r";
        NewRun run = hostileRun(text);
        run.tags = {};
        const auto id = store.createRun(run);
        QCOMPARE(store.run(id).name, text);
        QCOMPARE(store.run(id).notes, "notes: " + text);
        try {
            store.addTags(id, {text});
            QFAIL("a tag with a control character was accepted");
        } catch (const lwb::Error &error) {
            const std::string what = error.what();
            QVERIFY2(what.find(path) != std::string::npos, what.c_str());
            QVERIFY2(what.find("control character") != std::string::npos, what.c_str());
        }
        QVERIFY(store.run(id).tags.empty());
        QCOMPARE(store.database().queryText("PRAGMA integrity_check"), std::string("ok"));
    }

    void renamingAndRetaggingKeepTheText()
    {
        QTemporaryDir dir;
        RunStore store(dir.filePath(QStringLiteral("runs.db")).toStdString());
        const auto id = store.createRun(hostileRun("plain"));
        for (const auto &text : hostileTexts()) {
            store.setNotes(id, text);
            QCOMPARE(store.run(id).notes, text);
            store.addTags(id, {text});
            store.removeTags(id, {text});
            const auto tags = store.run(id).tags;
            QVERIFY(std::find(tags.begin(), tags.end(), text) == tags.end());
        }
        QCOMPARE(store.database().queryText("PRAGMA integrity_check"), std::string("ok"));
    }
};

QTEST_APPLESS_MAIN(HostileNamesTest)
#include "hostile_names_test.moc"
