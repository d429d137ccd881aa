// RunForm: the built-in default is valid; fields the user edits are checked
// by the engine's parser and each problem shows under its field (or in the
// message area when no field shows that key); keys the form has no editor for
// pass through; a preset switch changes the target layers; values a loaded
// file has that the editors cannot show are reported, not silently replaced.
#include "form_input.h"
#include "ui/compute_choices.h"
#include "ui/field_row.h"
#include "ui/run_form.h"
#include "ui/target_selector.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QtTest>

#include <torch/cuda.h>

using lwb::ui::RunForm;

namespace {

template <typename T> T *editor(RunForm &form, const char *path)
{
    return lwb::ui::test::editorIn<T>(&form, path);
}

using lwb::ui::test::typeInto;

} // namespace

class RunFormTest : public QObject
{
    Q_OBJECT

private slots:
    void builtInDefaultIsValid()
    {
        RunForm form;
        QVERIFY2(form.isValid(), qPrintable(form.problems().join(QLatin1Char('\n'))));
        // The compiled-in resource is the file in resources/configs.
        QFile file(QString::fromLocal8Bit(qgetenv("LWB_SOURCE_DIR"))
                   + QStringLiteral("/resources/configs/lora_default.json"));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray bytes = file.readAll();
        const auto expected = nlohmann::json::parse(bytes.constBegin(), bytes.constEnd());
        QCOMPARE(RunForm::defaultDocument(), expected);
        QCOMPARE(form.config()->name, expected["name"].get<std::string>());
        QCOMPARE(form.config()->training.steps, expected["training"]["steps"].get<std::int64_t>());
        QCOMPARE(form.config()->adapter.rank, expected["adapter"]["r"].get<std::int64_t>());
        QCOMPARE(editor<QSpinBox>(form, "training.steps")->value(), expected["training"]["steps"].get<int>());
        QCOMPARE(editor<QLineEdit>(form, "training.lr")->text().toDouble(), expected["training"]["lr"].get<double>());
        QVERIFY(!form.findChild<QLabel *>(QStringLiteral("fieldError"))->isVisible());
    }

    void editsReachTheConfig()
    {
        RunForm form;
        form.show();
        QVERIFY(QTest::qWaitForWindowExposed(&form));
        typeInto(editor<QSpinBox>(form, "adapter.r"), QStringLiteral("4"));
        typeInto(editor<QLineEdit>(form, "training.lr"), QStringLiteral("5e-4"));
        editor<QCheckBox>(form, "adapter.rslora")->setChecked(true);
        QTest::mouseClick(form.findChild<QCheckBox *>(QStringLiteral("target_down_proj")), Qt::LeftButton);
        QVERIFY(form.isValid());
        QCOMPARE(form.config()->adapter.rank, std::int64_t{4});
        QCOMPARE(form.config()->training.lr, 5e-4);
        QVERIFY(form.config()->adapter.rslora);
        QCOMPARE(form.config()->adapter.targets,
                 (std::vector<std::string>{"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj"}));
    }

    void baseModelChoiceWritesPathOrPreset()
    {
        RunForm form;
        auto *base = editor<QComboBox>(form, "model.preset");
        // The shipped pretrained base is the default and listed first; the random presets follow.
        QCOMPARE(base->currentText(), QStringLiteral("builtin:lexicon-base"));
        QCOMPARE(base->itemText(0), QStringLiteral("builtin:lexicon-base"));
        QVERIFY(base->findText(QStringLiteral("gpt2-tiny")) > 0);
        QCOMPARE(form.config()->model.path, std::string("builtin:lexicon-base"));
        QCOMPARE(form.config()->model.hiddenSize, std::int64_t{192}); // read from its config.json

        base->setCurrentText(QStringLiteral("gpt2-tiny"));
        QCOMPARE(form.document()["model"], (nlohmann::json{{"preset", "gpt2-tiny"}}));
        // The target boxes follow the architecture: GPT-2's layers now.
        QVERIFY(form.findChild<QCheckBox *>(QStringLiteral("target_c_attn")) != nullptr);
        QVERIFY2(form.isValid(), qPrintable(form.problems().join(QLatin1Char('\n'))));
        QCOMPARE(form.config()->adapter.targets, (std::vector<std::string>{"c_attn", "c_proj", "c_fc"}));
        QVERIFY(form.config()->model.path.empty());

        base->setCurrentText(QStringLiteral("builtin:lexicon-base"));
        QCOMPARE(form.document()["model"], (nlohmann::json{{"path", "builtin:lexicon-base"}}));
        // A typed folder that is not a checkpoint is refused, naming it.
        base->setCurrentText(QStringLiteral("/nowhere/model"));
        QVERIFY(!form.isValid());
        QVERIFY2(form.problems().join(QLatin1Char('\n')).contains(QStringLiteral("/nowhere/model")),
                 qPrintable(form.problems().join(QLatin1Char('\n'))));
    }

    void crossFieldRuleShowsUnderTheField()
    {
        RunForm form;
        typeInto(editor<QSpinBox>(form, "training.warmup_steps"), QStringLiteral("20"));
        typeInto(editor<QSpinBox>(form, "eval.every"), QStringLiteral("5"));
        QVERIFY(form.isValid());
        QSignalSpy validity(&form, &RunForm::validityChanged);
        typeInto(editor<QSpinBox>(form, "training.steps"), QStringLiteral("10"));
        // warmup 20 > steps 10: the engine's rule, shown at training.warmup_steps.
        QVERIFY(!form.isValid());
        QCOMPARE(validity.count(), 1);
        QCOMPARE(validity.at(0).at(0).toBool(), false);
        auto *warmup = form.field(QStringLiteral("training.warmup_steps"));
        QVERIFY(warmup->hasError());
        QVERIFY2(warmup->error().contains(QStringLiteral("must not exceed training.steps")),
                 qPrintable(warmup->error()));
        QVERIFY(warmup->errorLabel()->isVisibleTo(&form));
        QVERIFY(warmup->editor()->toolTip().contains(QStringLiteral("must not exceed")));
        QVERIFY(!form.field(QStringLiteral("training.steps"))->hasError());

        typeInto(editor<QSpinBox>(form, "training.warmup_steps"), QStringLiteral("5"));
        QVERIFY2(form.isValid(), qPrintable(form.problems().join(QLatin1Char('\n'))));
        QVERIFY(!warmup->hasError());
        QCOMPARE(validity.count(), 2);
    }

    void formAndEngineReasonsForSingleFields()
    {
        RunForm form;
        typeInto(editor<QLineEdit>(form, "training.lr"), QStringLiteral("fast"));
        QVERIFY(!form.isValid());
        QVERIFY(form.field(QStringLiteral("training.lr"))->error().contains(QStringLiteral("not a number")));
        typeInto(editor<QLineEdit>(form, "training.lr"), QStringLiteral("0"));
        QVERIFY(!form.isValid()); // the engine: lr must be > 0
        QVERIFY2(form.field(QStringLiteral("training.lr"))->error().contains(QStringLiteral("> 0")),
                 qPrintable(form.field(QStringLiteral("training.lr"))->error()));
        typeInto(editor<QLineEdit>(form, "training.lr"), QStringLiteral("1e-3"));
        QVERIFY(form.isValid());

        editor<QLineEdit>(form, "name")->clear();
        QVERIFY(!form.isValid());
        QVERIFY(form.field(QStringLiteral("name"))->error().contains(QStringLiteral("must not be empty")));
        typeInto(editor<QLineEdit>(form, "name"), QStringLiteral("mine"));

        for (const char *name : {"target_q_proj", "target_k_proj", "target_v_proj", "target_o_proj", "target_gate_proj",
                                 "target_up_proj", "target_down_proj"})
            form.findChild<QCheckBox *>(QString::fromLatin1(name))->setChecked(false);
        QVERIFY(!form.isValid());
        QVERIFY(form.field(QStringLiteral("adapter.targets"))->error().contains(QStringLiteral("at least one")));
    }

    void keysWithoutEditorsPassThrough()
    {
        RunForm form;
        auto document = RunForm::defaultDocument();
        document["data"]["seq_len"] = 32;
        document["training"]["beta2"] = 0.95;
        form.setDocument(document);
        typeInto(editor<QSpinBox>(form, "adapter.r"), QStringLiteral("2"));
        QVERIFY(form.isValid());
        QCOMPARE(form.config()->data.seqLen, std::int64_t{32});
        QCOMPARE(form.config()->training.beta2, 0.95);
        const auto out = form.document();
        QCOMPARE(out["data"]["seq_len"].get<int>(), 32);
        QCOMPARE(out["adapter"]["r"].get<int>(), 2);
        QCOMPARE(out["data"]["tasks"], document["data"]["tasks"]);
    }

    void unknownKeyIsReportedInTheMessageArea()
    {
        RunForm form;
        auto document = RunForm::defaultDocument();
        document["training"]["bogus_knob"] = 1;
        form.setDocument(document);
        QVERIFY(!form.isValid());
        const auto *messages = form.findChild<QLabel *>(QStringLiteral("formMessages"));
        QVERIFY2(messages->text().contains(QStringLiteral("training.bogus_knob")), qPrintable(messages->text()));
        QVERIFY(messages->text().contains(QStringLiteral("Start is disabled")));
    }

    void presetSwitchChangesTheTargetLayers()
    {
        RunForm form;
        editor<QComboBox>(form, "model.preset")->setCurrentText(QStringLiteral("gpt2-tiny"));
        QVERIFY(form.findChild<QCheckBox *>(QStringLiteral("target_c_attn")));
        QVERIFY(!form.findChild<QCheckBox *>(QStringLiteral("target_q_proj")));
        QVERIFY2(form.isValid(), qPrintable(form.problems().join(QLatin1Char('\n'))));
        QCOMPARE(form.config()->model.architecture, lwb::Architecture::Gpt2);
        QCOMPARE(form.config()->adapter.targets.size(), std::size_t{3});
        editor<QComboBox>(form, "model.preset")->setCurrentText(QStringLiteral("llama-tiny"));
        QVERIFY(form.findChild<QCheckBox *>(QStringLiteral("target_q_proj")));
        QVERIFY(!form.findChild<QCheckBox *>(QStringLiteral("target_c_attn")));
        QCOMPARE(form.config()->model.architecture, lwb::Architecture::Llama);
        QCOMPARE(form.config()->adapter.targets.size(), std::size_t{7});
    }

    void siraPanelShowsOnlyForSira()
    {
        RunForm form;
        form.show();
        QVERIFY(QTest::qWaitForWindowExposed(&form));
        auto *experts = editor<QSpinBox>(form, "adapter.sira.experts");
        QVERIFY(!experts->isVisible()); // LoRA is chosen: no SiRA panel, no SiRA keys
        QVERIFY(!form.document()["adapter"].contains("sira"));

        editor<QComboBox>(form, "adapter.variant")->setCurrentText(QStringLiteral("sira"));
        QVERIFY(experts->isVisible());
        QVERIFY(form.isValid());
        // The panel shows the engine's documented defaults.
        const lwb::SiraConfig defaults;
        QCOMPARE(experts->value(), int(defaults.experts));
        QCOMPARE(editor<QSpinBox>(form, "adapter.sira.top_k")->value(), int(defaults.topK));
        QCOMPARE(editor<QDoubleSpinBox>(form, "adapter.sira.capacity_factor")->value(), defaults.capacityFactor);
        QCOMPARE(editor<QDoubleSpinBox>(form, "adapter.sira.expert_dropout")->value(), defaults.expertDropout);
        QCOMPARE(editor<QDoubleSpinBox>(form, "adapter.sira.aux_loss_coef")->value(), defaults.auxLossCoef);

        typeInto(experts, 4);
        typeInto(editor<QSpinBox>(form, "adapter.sira.top_k"), 1);
        editor<QComboBox>(form, "adapter.sira.capacity_group")->setCurrentText(QStringLiteral("sequence"));
        QVERIFY(form.isValid());
        QCOMPARE(form.config()->adapter.variant, std::string("sira"));
        QCOMPARE(form.config()->adapter.sira.experts, std::int64_t{4});
        QCOMPARE(form.config()->adapter.sira.topK, std::int64_t{1});
        QCOMPARE(form.config()->adapter.sira.capacityGroup, std::string("sequence"));

        // Back to LoRA and again SiRA: the values are kept in the panel.
        editor<QComboBox>(form, "adapter.variant")->setCurrentText(QStringLiteral("lora"));
        QVERIFY(!form.document()["adapter"].contains("sira"));
        editor<QComboBox>(form, "adapter.variant")->setCurrentText(QStringLiteral("sira"));
        QCOMPARE(form.config()->adapter.sira.experts, std::int64_t{4});
    }

    void fullFineTuningSetsTheAdapterFieldsAside()
    {
        RunForm form;
        form.show();
        QVERIFY(QTest::qWaitForWindowExposed(&form));
        auto *rank = editor<QSpinBox>(form, "adapter.r");
        QVERIFY(rank->isEnabled());
        editor<QComboBox>(form, "adapter.variant")->setCurrentText(QStringLiteral("full"));
        QVERIFY(!rank->isEnabled());
        QVERIFY(!editor<QWidget>(form, "adapter.targets")->isEnabled());
        QVERIFY(form.isValid());
        QCOMPARE(form.config()->adapter.variant, std::string("full"));
        editor<QComboBox>(form, "adapter.variant")->setCurrentText(QStringLiteral("lora"));
        QVERIFY(rank->isEnabled());
    }

    void siraRuleShowsUnderItsField()
    {
        RunForm form;
        form.show();
        QVERIFY(QTest::qWaitForWindowExposed(&form));
        editor<QComboBox>(form, "adapter.variant")->setCurrentText(QStringLiteral("sira"));
        typeInto(editor<QSpinBox>(form, "adapter.sira.experts"), 2);
        typeInto(editor<QSpinBox>(form, "adapter.sira.top_k"), 3);
        QVERIFY(!form.isValid());
        auto *row = form.field(QStringLiteral("adapter.sira.top_k"));
        QVERIFY(row);
        QVERIFY2(row->error().contains(QStringLiteral("must not exceed experts")), qPrintable(row->error()));
    }

    void siraPresetLoadsIntoThePanel()
    {
        QFile file(QString::fromLocal8Bit(qgetenv("LWB_SOURCE_DIR"))
                   + QStringLiteral("/resources/configs/sira_default.json"));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray bytes = file.readAll();
        RunForm form;
        form.setDocument(nlohmann::json::parse(bytes.constBegin(), bytes.constEnd()));
        QVERIFY2(form.isValid(), qPrintable(form.problems().join(QLatin1Char('\n'))));
        QCOMPARE(form.config()->adapter.variant, std::string("sira"));
        QCOMPARE(form.config()->adapter.rank, std::int64_t{4});
        QCOMPARE(form.config()->adapter.sira.experts, std::int64_t{8});
        QCOMPARE(form.config()->adapter.sira.topK, std::int64_t{2});
        QVERIFY(form.problems().isEmpty());
    }

    void resloraPanelShowsOnlyForResLora()
    {
        RunForm form;
        form.show();
        QVERIFY(QTest::qWaitForWindowExposed(&form));
        auto *shortcut = editor<QComboBox>(form, "adapter.reslora.variant");
        auto *preNum = editor<QSpinBox>(form, "adapter.reslora.pre_num");
        QVERIFY(!shortcut->isVisible()); // LoRA is chosen: no ResLoRA panel, no ResLoRA keys
        QVERIFY(!form.document()["adapter"].contains("reslora"));
        editor<QComboBox>(form, "adapter.variant")->setCurrentText(QStringLiteral("sira"));
        QVERIFY(!shortcut->isVisible());
        QVERIFY(!form.document()["adapter"].contains("reslora"));

        editor<QComboBox>(form, "adapter.variant")->setCurrentText(QStringLiteral("reslora"));
        QVERIFY(shortcut->isVisible());
        QVERIFY(!editor<QSpinBox>(form, "adapter.sira.experts")->isVisible());
        QVERIFY2(form.isValid(), qPrintable(form.problems().join(QLatin1Char('\n'))));
        // The panel shows the engine's documented defaults.
        const lwb::ResLoraConfig defaults;
        QCOMPARE(shortcut->currentText().toStdString(), defaults.variant);
        QCOMPARE(preNum->value(), int(defaults.preNum));
        QCOMPARE(editor<QComboBox>(form, "adapter.reslora.merge")->currentText().toStdString(), defaults.merge);
        QCOMPARE(editor<QComboBox>(form, "adapter.reslora.bs_dropout")->currentText().toStdString(),
                 defaults.bsDropout);
        QCOMPARE(editor<QSpinBox>(form, "adapter.reslora.window")->value(), int(defaults.window));

        shortcut->setCurrentText(QStringLiteral("ms"));
        typeInto(preNum, 2);
        editor<QComboBox>(form, "adapter.reslora.merge")->setCurrentText(QStringLiteral("merge_bi"));
        editor<QComboBox>(form, "adapter.reslora.mlp_chain")->setCurrentText(QStringLiteral("up_down"));
        typeInto(editor<QSpinBox>(form, "adapter.reslora.window"), 50);
        QVERIFY2(form.isValid(), qPrintable(form.problems().join(QLatin1Char('\n'))));
        QCOMPARE(form.config()->adapter.variant, std::string("reslora"));
        QCOMPARE(form.config()->adapter.reslora.variant, std::string("ms"));
        QCOMPARE(form.config()->adapter.reslora.preNum, std::int64_t{2});
        QCOMPARE(form.config()->adapter.reslora.merge, std::string("merge_bi"));
        QCOMPARE(form.config()->adapter.reslora.mlpChain, std::string("up_down"));
        QCOMPARE(form.config()->adapter.reslora.window, std::int64_t{50});

        // pre_num 0 is refused under its own field.
        typeInto(preNum, 0);
        QVERIFY(!form.isValid());
        QVERIFY2(form.field(QStringLiteral("adapter.reslora.pre_num"))->error().contains(QStringLiteral("at least 1")),
                 qPrintable(form.field(QStringLiteral("adapter.reslora.pre_num"))->error()));
        typeInto(preNum, -1);
        QVERIFY(form.isValid());
        QCOMPARE(form.config()->adapter.reslora.preNum, std::int64_t{-1});

        // Back to LoRA: the run carries no ResLoRA keys; the panel keeps its values.
        editor<QComboBox>(form, "adapter.variant")->setCurrentText(QStringLiteral("lora"));
        QVERIFY(!form.document()["adapter"].contains("reslora"));
        QVERIFY(form.isValid());
        editor<QComboBox>(form, "adapter.variant")->setCurrentText(QStringLiteral("reslora"));
        QCOMPARE(form.config()->adapter.reslora.variant, std::string("ms"));
    }

    void resloraPresetLoadsIntoThePanel()
    {
        QFile file(QString::fromLocal8Bit(qgetenv("LWB_SOURCE_DIR"))
                   + QStringLiteral("/resources/configs/reslora_default.json"));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray bytes = file.readAll();
        RunForm form;
        form.setDocument(nlohmann::json::parse(bytes.constBegin(), bytes.constEnd()));
        QVERIFY2(form.isValid(), qPrintable(form.problems().join(QLatin1Char('\n'))));
        QCOMPARE(form.config()->adapter.variant, std::string("reslora"));
        QCOMPARE(form.config()->adapter.rank, std::int64_t{8});
        QCOMPARE(form.config()->adapter.alpha, 16.0);
        QCOMPARE(form.config()->adapter.reslora.variant, std::string("is"));
        QCOMPARE(form.config()->adapter.reslora.preNum, std::int64_t{1});
        QCOMPARE(form.config()->adapter.reslora.merge, std::string("merge_bw"));
        QCOMPARE(editor<QComboBox>(form, "adapter.reslora.variant")->currentText(), QStringLiteral("is"));
        QVERIFY(form.problems().isEmpty());
    }

    void precisionAndCheckpointingReachTheConfig()
    {
        RunForm form;
        form.show();
        QVERIFY(QTest::qWaitForWindowExposed(&form));
        auto *precision = editor<QComboBox>(form, "training.precision");
        QCOMPARE(precision->currentText(), QStringLiteral("auto")); // the engine's default
        QCOMPARE(form.config()->training.precision, std::string("auto"));
        QVERIFY(!form.config()->training.gradientCheckpointing);
        QStringList names;
        for (int i = 0; i < precision->count(); ++i) {
            names << precision->itemText(i);
            QVERIFY2(!precision->itemData(i, Qt::ToolTipRole).toString().isEmpty(), qPrintable(names.last()));
        }
        QCOMPARE(names, (QStringList{"auto", "fp32", "bf16", "fp16"}));
        // Each row's label explains the field.
        QString precisionTip, checkpointingTip;
        for (const auto *label : form.findChildren<QLabel *>(QStringLiteral("fieldLabel"))) {
            if (label->text().remove(QLatin1Char('&')) == QStringLiteral("Precision"))
                precisionTip = label->toolTip();
            if (label->text() == QStringLiteral("Memory"))
                checkpointingTip = label->toolTip();
        }
        QVERIFY2(precisionTip.contains(QStringLiteral("autocast")), qPrintable(precisionTip));
        QVERIFY2(checkpointingTip.contains(QStringLiteral("recompute")), qPrintable(checkpointingTip));

        precision->setCurrentText(QStringLiteral("bf16"));
        editor<QCheckBox>(form, "training.gradient_checkpointing")->setChecked(true);
        QVERIFY(form.isValid());
        QCOMPARE(form.config()->training.precision, std::string("bf16"));
        QVERIFY(form.config()->training.gradientCheckpointing);
        QCOMPARE(form.document()["training"]["precision"], nlohmann::json("bf16"));
        QCOMPARE(form.document()["training"]["gradient_checkpointing"], nlohmann::json(true));

        // A loaded file shows its values; one the engine refuses is named under the field.
        auto document = RunForm::defaultDocument();
        document["training"]["precision"] = "fp16";
        document["training"]["gradient_checkpointing"] = true;
        form.setDocument(document);
        QCOMPARE(precision->currentText(), QStringLiteral("fp16"));
        QVERIFY(editor<QCheckBox>(form, "training.gradient_checkpointing")->isChecked());
        QCOMPARE(form.config()->training.precision, std::string("fp16"));
        document["training"]["precision"] = "fp8";
        document["training"]["gradient_checkpointing"] = "yes";
        form.setDocument(document);
        QVERIFY(!form.isValid());
        QVERIFY2(form.field(QStringLiteral("training.precision"))->error().contains(QStringLiteral("fp8")),
                 qPrintable(form.field(QStringLiteral("training.precision"))->error()));
        QVERIFY(
            form.field(QStringLiteral("training.gradient_checkpointing"))->error().contains(QStringLiteral("\"yes\"")));
    }

    void deviceListShowsTheCudaDevicesTorchSees()
    {
        RunForm form;
        form.show();
        QVERIFY(QTest::qWaitForWindowExposed(&form));
        auto *device = editor<QComboBox>(form, "device");
        const auto gpus = torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0;
        QStringList expected{QStringLiteral("cpu")};
        if (gpus > 1)
            expected << QStringLiteral("cuda");
        for (int i = 0; i < gpus; ++i)
            expected << QStringLiteral("cuda:%1").arg(i);
        QStringList choosable, shown;
        const auto *items = qobject_cast<QStandardItemModel *>(device->model());
        QVERIFY(items);
        for (int i = 0; i < device->count(); ++i) {
            if (device->itemText(i).isEmpty())
                continue; // the separator
            shown << device->itemText(i);
            QVERIFY2(!device->itemData(i, Qt::ToolTipRole).toString().isEmpty(), qPrintable(device->itemText(i)));
            if (items->item(i)->isEnabled())
                choosable << device->itemText(i);
        }
        QCOMPARE(choosable, expected);
        if (gpus == 0) {
            // The list says there is none, and that line cannot be chosen.
            QCOMPARE(shown.last(), lwb::ui::noCudaDeviceText());
            for (int i = 0; i < device->count(); ++i)
                QTest::keyClick(device, Qt::Key_Down);
            QCOMPARE(device->currentText(), QStringLiteral("cpu"));
            QCOMPARE(form.config()->device, std::string("cpu"));
        } else {
            QVERIFY(!shown.contains(lwb::ui::noCudaDeviceText()));
        }
    }

    void valuesTheEditorsCannotShowAreReported()
    {
        RunForm form;
        auto document = RunForm::defaultDocument();
        document["adapter"]["r"] = 0;
        document["adapter"]["targets"] = {"q_proj", "c_attn"};
        form.setDocument(document);
        QVERIFY(form.field(QStringLiteral("adapter.r"))->error().contains(QStringLiteral("outside")));
        QVERIFY(form.field(QStringLiteral("adapter.targets"))->error().contains(QStringLiteral("c_attn")));
        // Editing the field retires the note.
        typeInto(editor<QSpinBox>(form, "adapter.r"), QStringLiteral("3"));
        QVERIFY(!form.field(QStringLiteral("adapter.r"))->hasError());
    }
};

QTEST_MAIN(RunFormTest)
#include "run_form_test.moc"
