// BaseModelPicker in the real RunForm (offscreen): choosing a Hugging Face
// folder (tests/fixtures/hf, saved by transformers, with a tokenizer written
// here) fills the inspection panel off the GUI thread and gives the target
// selector the folder's real module names; a hub-cache models--ORG--NAME
// folder resolves to its refs/main snapshot; a bad folder shows an error that
// names the file and the problem. Expected figures come from the fixture
// files themselves (their safetensors headers, as transformers saved them).
#include "engine/tokenizer/byte_level.h"
#include "form_input.h"
#include "ui/base_model_picker.h"
#include "ui/run_form.h"
#include "ui/target_selector.h"
#include "user_data_isolation.h"

#include <nlohmann/json.hpp>

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>

using lwb::ui::BaseModelPicker;
using lwb::ui::RunForm;

namespace {

namespace fs = std::filesystem;

std::string fixture(const char *name)
{
    return qEnvironmentVariable("LWB_SOURCE_DIR").toStdString() + "/tests/fixtures/hf/" + name;
}

// A byte-level tokenizer.json of 256 byte tokens plus <|endoftext|> (id 256),
// which fits every fixture's vocab_size.
nlohmann::json byteTokenizer()
{
    nlohmann::json vocab = nlohmann::json::object();
    const auto &alphabet = lwb::byteLevelAlphabet();
    for (int b = 0; b < 256; ++b)
        vocab[alphabet[b]] = b;
    return {{"version", "1.0"},
            {"normalizer", nullptr},
            {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
            {"decoder", {{"type", "ByteLevel"}}},
            {"added_tokens", {{{"id", 256}, {"content", "<|endoftext|>"}, {"special", true}}}},
            {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", nlohmann::json::array()}}}};
}

// A copy of a fixture with a tokenizer beside it; GPT-2's published way:
// no eos in tokenizer_config.json, the class's defaults give it.
std::string modelFolder(const QTemporaryDir &dir, const char *name, const char *fixtureName)
{
    const fs::path folder = dir.filePath(QString::fromLatin1(name)).toStdString();
    fs::create_directories(folder);
    for (const char *file : {"config.json", "model.safetensors"})
        fs::copy_file(fs::path(fixture(fixtureName)) / file, folder / file, fs::copy_options::overwrite_existing);
    std::ofstream(folder / "tokenizer.json") << byteTokenizer().dump();
    std::ofstream(folder / "tokenizer_config.json")
        << nlohmann::json{{"model_max_length", 64}, {"chat_template", "{{ messages[0]['content'] }}"}}.dump();
    return folder.string();
}

// The default run with sequences short enough for the fixtures' 32 positions.
nlohmann::json shortSequences()
{
    auto document = RunForm::defaultDocument();
    document["data"]["seq_len"] = 24;
    return document;
}

QStringList boxNames(const RunForm &form)
{
    QStringList names;
    const auto *selector = form.findChild<lwb::ui::TargetSelector *>(QStringLiteral("adapter.targets"));
    for (const auto &name : selector->layerNames())
        if (selector->checkBox(name))
            names << name;
    return names;
}

// Chooses a base as typing does and waits for the picker's inspection.
bool chooseAndWait(RunForm &form, const QString &choice)
{
    auto *picker = form.baseModelPicker();
    QSignalSpy finished(picker, &BaseModelPicker::inspectionFinished);
    picker->comboBox()->setCurrentText(choice);
    // Nothing is read on the GUI thread: the panel says it is reading, no result yet.
    if (picker->inspection() || !picker->panel()->text().contains(QStringLiteral("Reading")))
        return false;
    return finished.wait(20000);
}

} // namespace

class BaseModelPickerTest : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir userData_;

private slots:
    void initTestCase() { lwb::ui::test::keepUserDataIn(userData_); }

    void aFolderFillsThePanelAndTheTargets()
    {
        QTemporaryDir dir;
        const auto folder = QString::fromStdString(modelFolder(dir, "gpt2-model", "gpt2"));
        RunForm form;
        form.setDocument(shortSequences());
        form.show();
        QVERIFY(QTest::qWaitForWindowExposed(&form));
        auto *picker = form.baseModelPicker();
        QVERIFY(picker->browseButton()->isVisible());
        QVERIFY(chooseAndWait(form, folder));
        QVERIFY2(picker->errorText().isEmpty(), qPrintable(picker->errorText()));
        const auto &inspection = picker->inspection();
        QVERIFY(inspection.has_value());

        // The fixture's figures: GPT2LMHeadModel, 2 layers of width 32, vocab 311, n_inner 64,
        // tied; transformers' num_parameters() on that folder is 28,128 (stored float32).
        const QString panel = picker->panel()->text();
        QVERIFY2(panel.contains(QStringLiteral("<b>gpt2</b>")), qPrintable(panel));
        QVERIFY2(panel.contains(QStringLiteral("28,128 parameters")), qPrintable(panel));
        QVERIFY2(panel.contains(QStringLiteral("float32")), qPrintable(panel));
        QVERIFY2(panel.contains(QStringLiteral("byte-level BPE, 257 tokens")), qPrintable(panel));
        // eos from GPT2Tokenizer's defaults (tokenizer class from config.json's model_type).
        QVERIFY2(panel.contains(QStringLiteral("eos <code>&lt;|endoftext|&gt;</code> (256)")), qPrintable(panel));
        QVERIFY2(panel.contains(QStringLiteral("Chat template: yes")), qPrintable(panel));
        QVERIFY2(picker->panel()->toolTip().contains(QStringLiteral("GPT2Tokenizer's default")),
                 qPrintable(picker->panel()->toolTip()));

        // The targets are the folder's module names, and the run uses it.
        QCOMPARE(boxNames(form),
                 (QStringList{QStringLiteral("c_attn"), QStringLiteral("c_proj"), QStringLiteral("c_fc")}));
        QCOMPARE(form.document()["model"], (nlohmann::json{{"path", folder.toStdString()}}));
        QVERIFY2(form.isValid(), qPrintable(form.problems().join(QLatin1Char('\n'))));

        // Another folder, another family: the panel and the target list change.
        const auto llama = QString::fromStdString(modelFolder(dir, "llama-model", "llama"));
        QVERIFY(chooseAndWait(form, llama));
        QVERIFY(picker->panel()->text().contains(QStringLiteral("<b>llama</b>")));
        QCOMPARE(boxNames(form).size(), 7);
        QVERIFY(form.findChild<QCheckBox *>(QStringLiteral("target_gate_proj")));
        QVERIFY(!form.findChild<QCheckBox *>(QStringLiteral("target_c_attn")));
    }

    void aHubCacheFolderResolvesToItsSnapshot()
    {
        QTemporaryDir dir;
        const auto source = modelFolder(dir, "source", "gpt2");
        const fs::path repo = dir.filePath(QStringLiteral("hub/models--org--tiny-gpt2")).toStdString();
        const fs::path snapshot = repo / "snapshots" / "4f1c2e";
        fs::create_directories(snapshot);
        fs::create_directories(repo / "refs");
        for (const auto &entry : fs::directory_iterator(source))
            fs::copy_file(entry.path(), snapshot / entry.path().filename());
        std::ofstream(repo / "refs" / "main") << "4f1c2e";

        RunForm form;
        form.setDocument(shortSequences());
        QVERIFY(chooseAndWait(form, QString::fromStdString(repo.string())));
        const auto &inspection = form.baseModelPicker()->inspection();
        QVERIFY2(inspection.has_value(), qPrintable(form.baseModelPicker()->errorText()));
        QCOMPARE(inspection->folder, snapshot.string());
        QVERIFY(form.baseModelPicker()->panel()->toolTip().contains(QString::fromStdString(snapshot.string())));
        // model.path in the run config takes the hub-cache folder too.
        QVERIFY2(form.isValid(), qPrintable(form.problems().join(QLatin1Char('\n'))));
    }

    void aBadFolderShowsWhatIsWrong()
    {
        QTemporaryDir dir;
        const auto folder = modelFolder(dir, "broken", "gpt2");
        std::ofstream(folder + "/tokenizer.json") << "{ \"model\": ";
        RunForm form;
        QVERIFY(chooseAndWait(form, QString::fromStdString(folder)));
        auto *picker = form.baseModelPicker();
        QVERIFY(!picker->inspection());
        const QString error = picker->errorText();
        QVERIFY2(error.contains(QString::fromStdString(folder + "/tokenizer.json"))
                     && error.contains(QStringLiteral("JSON")),
                 qPrintable(error));
        QVERIFY(picker->panel()->text().isEmpty());

        // Not a model folder at all: the message names it and what is missing.
        QVERIFY(chooseAndWait(form, dir.filePath(QStringLiteral("empty/"))));
        QVERIFY2(picker->errorText().contains(QStringLiteral("no config.json")), qPrintable(picker->errorText()));

        // Back to a preset: no error, the preset's own layers.
        picker->comboBox()->setCurrentText(QStringLiteral("gpt2-tiny"));
        QVERIFY(picker->errorText().isEmpty());
        QVERIFY(picker->panel()->text().contains(QStringLiteral("gpt2-tiny")));
        QCOMPARE(boxNames(form).size(), 3);
    }
};

QTEST_MAIN(BaseModelPickerTest)
#include "base_model_picker_test.moc"
