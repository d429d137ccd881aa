// The variant traits (engine/adapters/variant_traits.h) against the places
// that act on them: the adapter registry's factories, the exporters' writers,
// the config parser and the config sections the form fields edit. The traits
// replace name comparisons in the trainer, GUI and CLI, so a trait that
// disagrees with the code it describes would silently mislead all of them.
#include "engine/adapters/adapter_registry.h"
#include "engine/adapters/dlp_roles.h"
#include "engine/adapters/variant_traits.h"
#include "engine/config/run_config.h"
#include "engine/core/error.h"
#include "engine/export/exporter_registry.h"

#include <QtTest>

#include <algorithm>

using nlohmann::json;

namespace {

bool contains(const std::vector<std::string> &names, const std::string &name)
{
    return std::find(names.begin(), names.end(), name) != names.end();
}

// The parsed default config of a variant, written back as JSON: every key its
// section has, with the engine's default values.
json defaultConfigOf(const std::string &variant)
{
    return lwb::parseRunConfig(json{{"adapter", {{"variant", variant}}}}, "test.json").toJson();
}

json::json_pointer pointerOf(const std::string &dottedPath)
{
    std::string text = "/" + dottedPath;
    std::replace(text.begin(), text.end(), '.', '/');
    return json::json_pointer(text);
}

} // namespace

class TestVariantTraits : public QObject
{
    Q_OBJECT

private slots:
    void everyNameIsDeclaredOnce()
    {
        const auto names = lwb::variantNames();
        auto sorted = names;
        std::sort(sorted.begin(), sorted.end());
        QVERIFY(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
        for (const auto &name : names)
            QCOMPARE(lwb::variantTraitsOf(name).name, name);
        QVERIFY(lwb::findVariantTraits("no-such-variant") == nullptr);
        QVERIFY(!lwb::isStudyVariant("no-such-variant"));
        QVERIFY(!lwb::reportsRouting("no-such-variant"));
    }

    void unknownNameErrorListsTheKnownOnes()
    {
        try {
            lwb::variantTraitsOf("lorra");
            QFAIL("expected lwb::Error");
        } catch (const lwb::Error &error) {
            const std::string what = error.what();
            QVERIFY2(what.find("adapter.variant") != std::string::npos, what.c_str());
            QVERIFY2(what.find("\"lorra\"") != std::string::npos, what.c_str());
            QVERIFY2(what.find("sira") != std::string::npos, what.c_str());
        }
    }

    // A variant that attaches adapters and is no study is built by a factory
    // of the registry; the study and "full" are not.
    void adapterVariantsHaveFactories()
    {
        const auto factories = lwb::adapterVariantNames();
        for (const auto &traits : lwb::variantTraits()) {
            const bool built = traits.attachesAdapters && !traits.isStudy;
            QVERIFY2(contains(factories, traits.name) == built, traits.name.c_str());
        }
        for (const auto &name : factories)
            QVERIFY2(lwb::findVariantTraits(name), name.c_str());
    }

    void configAcceptsExactlyTheDeclaredNames()
    {
        for (const auto &name : lwb::variantNames())
            QCOMPARE(lwb::parseRunConfig(json{{"adapter", {{"variant", name}}}}, "test.json").adapter.variant, name);
        QVERIFY_THROWS_EXCEPTION(lwb::ConfigError,
                                 lwb::parseRunConfig(json{{"adapter", {{"variant", "lorra"}}}}, "test.json"));
    }

    // Each declared format has a writer, and no writer serves a variant that
    // does not declare its format.
    void exportFormatsHaveWriters()
    {
        for (const auto &traits : lwb::variantTraits()) {
            QVERIFY2(!traits.exportFormats.empty(), traits.name.c_str());
            for (const auto &format : traits.exportFormats) {
                const auto &exporter = lwb::findExporter(traits.name, format);
                QCOMPARE(exporter.format, format);
            }
            for (const auto &exporter : lwb::exporters()) {
                if (lwb::exportsVariant(exporter, traits.name))
                    QVERIFY2(contains(traits.exportFormats, exporter.format),
                             (traits.name + " " + exporter.format).c_str());
            }
        }
        QVERIFY_THROWS_EXCEPTION(lwb::Error, lwb::findExporter("dlp", "merged"));
        QVERIFY_THROWS_EXCEPTION(lwb::Error, lwb::findExporter("lora", "bundle"));
    }

    // Every form field edits a key of its variant's section that the config
    // has (with the engine's default), with an editor of the value's type; a
    // choice field offers the default value.
    void formFieldsEditTheirConfigSection()
    {
        for (const auto &traits : lwb::variantTraits()) {
            QCOMPARE(traits.fields.empty(), traits.configSection.empty());
            if (traits.fields.empty())
                continue;
            const json config = defaultConfigOf(traits.name);
            QVERIFY2(config.contains(pointerOf(traits.configSection)), traits.configSection.c_str());
            for (const auto &field : traits.fields) {
                const auto where = traits.name + ": " + field.path;
                QVERIFY2(field.path.rfind(traits.configSection + ".", 0) == 0, where.c_str());
                QVERIFY2(!field.label.empty() && !field.tooltip.empty(), where.c_str());
                QVERIFY2(config.contains(pointerOf(field.path)), where.c_str());
                const json &value = config.at(pointerOf(field.path));
                using Kind = lwb::VariantConfigField::Kind;
                switch (field.kind) {
                case Kind::Integer:
                    QVERIFY2(value.is_number_integer(), where.c_str());
                    [[fallthrough]];
                case Kind::Real:
                    QVERIFY2(value.is_number(), where.c_str());
                    QVERIFY2(value.get<double>() >= field.minimum && value.get<double>() <= field.maximum,
                             where.c_str());
                    break;
                case Kind::Flag:
                    QVERIFY2(value.is_boolean(), where.c_str());
                    break;
                case Kind::Choice:
                    QVERIFY2(value.is_string() && contains(field.choices, value.get<std::string>()), where.c_str());
                    break;
                }
            }
        }
    }

    void traitsOfTheKnownVariants()
    {
        // The facts the trainer and GUI act on, as the papers and engine/README describe them.
        QVERIFY(lwb::variantTraitsOf("dlp").isStudy);
        QVERIFY(lwb::variantTraitsOf("reslora").evaluatesMergedModel);
        QVERIFY(lwb::variantTraitsOf("sira").reportsRouting);
        QVERIFY(!lwb::variantTraitsOf("full").attachesAdapters);
        lwb::AdapterConfig adapter;
        adapter.variant = "dlp";
        QVERIFY(lwb::isDlpStudy(adapter));
        adapter.variant = "lora";
        QVERIFY(!lwb::isDlpStudy(adapter));
        for (const auto &traits : lwb::variantTraits()) {
            QCOMPARE(traits.isStudy, traits.name == "dlp");
            QCOMPARE(traits.evaluatesMergedModel, traits.name == "reslora");
            QCOMPARE(traits.reportsRouting, traits.name == "sira");
            // A DLP library fuses plain low-rank pairs: SiRA's experts, ResLoRA's
            // shortcuts and a full fine-tune are not one.
            QCOMPARE(lwb::joinsDlpLibrary(traits.name), traits.name == "lora");
        }
    }
};

QTEST_APPLESS_MAIN(TestVariantTraits)
#include "test_variant_traits.moc"
