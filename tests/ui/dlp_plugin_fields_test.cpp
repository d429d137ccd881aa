// The run form's DLP-LoRA plugin fields (engine/adapters/variant_config_fields.cpp):
// the plugin kind ("mlp", the paper's; "encoder", the released code's) and
// the encoder's own settings, driven through the real widgets as a person
// does, read back as the RunConfig the study runs.
#include "engine/config/dlp_config.h"
#include "form_input.h"
#include "ui/run_form.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QSpinBox>
#include <QtTest>

using lwb::ui::RunForm;
using lwb::ui::test::typeInto;

namespace {

template <typename T> T *editor(RunForm &form, const char *path)
{
    return lwb::ui::test::editorIn<T>(&form, path);
}

} // namespace

class DlpPluginFieldsTest : public QObject
{
    Q_OBJECT

private slots:
    void pluginKindAndEncoderSettings()
    {
        RunForm form;
        form.show();
        QVERIFY(QTest::qWaitForWindowExposed(&form));
        editor<QComboBox>(form, "adapter.variant")->setCurrentText(QStringLiteral("dlp"));
        auto *kind = editor<QComboBox>(form, "adapter.dlp.plugin.kind");
        QVERIFY(kind->isVisible());
        // The default is the paper's MLP, as in configs written before the encoder existed.
        QCOMPARE(kind->currentText(), QStringLiteral("mlp"));
        QCOMPARE(form.config()->adapter.dlp.plugin.kind, std::string("mlp"));
        QStringList offered;
        for (int i = 0; i < kind->count(); ++i)
            offered << kind->itemText(i);
        QCOMPARE(offered, (QStringList{QStringLiteral("mlp"), QStringLiteral("encoder")}));
        const lwb::DlpPluginConfig defaults;
        QCOMPARE(editor<QSpinBox>(form, "adapter.dlp.plugin.encoder_layers")->value(), int(defaults.encoderLayers));
        QCOMPARE(editor<QSpinBox>(form, "adapter.dlp.plugin.heads")->value(), int(defaults.heads));
        QCOMPARE(editor<QDoubleSpinBox>(form, "adapter.dlp.plugin.dropout")->value(), defaults.dropout);

        kind->setCurrentText(QStringLiteral("encoder"));
        typeInto(editor<QSpinBox>(form, "adapter.dlp.plugin.encoder_layers"), 3);
        typeInto(editor<QSpinBox>(form, "adapter.dlp.plugin.heads"), 8);
        typeInto(editor<QSpinBox>(form, "adapter.dlp.plugin.max_positions"), 64);
        QVERIFY(form.isValid());
        const auto config = form.config();
        QCOMPARE(config->adapter.dlp.plugin.kind, std::string("encoder"));
        QCOMPARE(config->adapter.dlp.plugin.encoderLayers, std::int64_t(3));
        QCOMPARE(config->adapter.dlp.plugin.heads, std::int64_t(8));
        QCOMPARE(config->adapter.dlp.plugin.maxPositions, std::int64_t(64));

        // The encoder has no use for the base's embeddings: the form says so and refuses.
        editor<QComboBox>(form, "adapter.dlp.plugin.embedding")->setCurrentText(QStringLiteral("base"));
        QVERIFY(!form.isValid());
        editor<QComboBox>(form, "adapter.dlp.plugin.embedding")->setCurrentText(QStringLiteral("own"));
        QVERIFY(form.isValid());
    }
};

QTEST_MAIN(DlpPluginFieldsTest)
#include "dlp_plugin_fields_test.moc"
