// See variant_fields.h. The fields themselves, with their tooltips, are
// declared beside each variant (engine/adapters/variant_config_fields.cpp);
// here they become Qt text and editors.
#include "ui/variant_fields.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDoubleSpinBox>
#include <QSpinBox>

#include <algorithm>
#include <cmath>

namespace lwb::ui {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("VariantFields", text);
}

nlohmann::json::json_pointer pointerOf(const QString &path)
{
    QString text = path;
    text.replace(QLatin1Char('.'), QLatin1Char('/'));
    return nlohmann::json::json_pointer("/" + text.toStdString());
}

QString translated(const std::string &text)
{
    return tr(text.c_str());
}

VariantField toField(const VariantConfigField &declared)
{
    QStringList choices;
    for (const auto &choice : declared.choices)
        choices << QString::fromStdString(choice);
    return {QString::fromStdString(declared.path),
            translated(declared.label),
            declared.kind,
            declared.minimum,
            declared.maximum,
            declared.decimals,
            declared.step,
            choices,
            translated(declared.tooltip)};
}

// A panel for each variant that declares a config section with fields.
std::vector<VariantPanel> declaredPanels()
{
    std::vector<VariantPanel> panels;
    for (const auto &traits : variantTraits()) {
        if (traits.fields.empty())
            continue;
        VariantPanel panel{QString::fromStdString(traits.name),
                           QString::fromStdString(traits.configSection),
                           translated(traits.title),
                           {}};
        for (const auto &field : traits.fields)
            panel.fields.push_back(toField(field));
        panels.push_back(std::move(panel));
    }
    return panels;
}

} // namespace

const std::vector<VariantPanel> &variantPanels()
{
    static const std::vector<VariantPanel> kPanels = declaredPanels();
    return kPanels;
}

VariantEditors::VariantEditors(const VariantPanel &panel, const AddRow &addRow)
    : panel_(panel)
{
    using Kind = VariantField::Kind;
    for (const auto &field : panel_.fields) {
        QWidget *editor = nullptr;
        switch (field.kind) {
        case Kind::Integer: {
            auto *spin = new QSpinBox;
            spin->setRange(static_cast<int>(field.minimum), static_cast<int>(field.maximum));
            editor = spin;
            break;
        }
        case Kind::Real: {
            auto *spin = new QDoubleSpinBox;
            spin->setRange(field.minimum, field.maximum);
            spin->setDecimals(field.decimals);
            spin->setSingleStep(field.step);
            editor = spin;
            break;
        }
        case Kind::Flag:
            editor = new QCheckBox;
            break;
        case Kind::Choice: {
            auto *combo = new QComboBox;
            combo->addItems(field.choices);
            editor = combo;
            break;
        }
        }
        editors_.push_back(editor);
        addRow(field, editor);
    }
}

void VariantEditors::read(const nlohmann::json &document, const nlohmann::json &defaults, const Note &note)
{
    using Kind = VariantField::Kind;
    for (std::size_t i = 0; i < editors_.size(); ++i) {
        const auto &field = panel_.fields[i];
        const auto pointer = pointerOf(field.path);
        const nlohmann::json fallback = defaults.contains(pointer) ? defaults.at(pointer) : nlohmann::json();
        nlohmann::json value = document.contains(pointer) ? document.at(pointer) : fallback;
        const auto wrongType = [&](const char *expected) {
            note(field.path, tr("expected %1, got %2; the form shows the default")
                                 .arg(QString::fromLatin1(expected), QString::fromStdString(value.dump())));
            value = fallback;
        };
        switch (field.kind) {
        case Kind::Integer:
        case Kind::Real: {
            if (!value.is_number())
                wrongType(field.kind == Kind::Integer ? "a whole number" : "a number");
            const double number = value.is_number() ? value.get<double>() : 0.0;
            if (number < field.minimum || number > field.maximum)
                note(field.path, tr("%1 is outside %2 to %3; the form shows the nearest allowed value")
                                     .arg(number)
                                     .arg(field.minimum)
                                     .arg(field.maximum));
            if (auto *spin = qobject_cast<QSpinBox *>(editors_[i]))
                spin->setValue(static_cast<int>(std::clamp(std::round(number), field.minimum, field.maximum)));
            else
                static_cast<QDoubleSpinBox *>(editors_[i])->setValue(number);
            break;
        }
        case Kind::Flag:
            if (!value.is_boolean())
                wrongType("true or false");
            static_cast<QCheckBox *>(editors_[i])->setChecked(value.is_boolean() && value.get<bool>());
            break;
        case Kind::Choice: {
            if (!value.is_string())
                wrongType("text");
            const QString text = QString::fromStdString(value.is_string() ? value.get<std::string>() : std::string());
            auto *combo = static_cast<QComboBox *>(editors_[i]);
            if (combo->findText(text) < 0)
                combo->addItem(text); // shown as chosen; validation says what is wrong with it
            combo->setCurrentText(text);
            break;
        }
        }
    }
}

void VariantEditors::write(nlohmann::json &document) const
{
    for (std::size_t i = 0; i < editors_.size(); ++i) {
        const auto pointer = pointerOf(panel_.fields[i].path);
        QWidget *editor = editors_[i];
        if (auto *spin = qobject_cast<QSpinBox *>(editor))
            document[pointer] = spin->value();
        else if (auto *real = qobject_cast<QDoubleSpinBox *>(editor))
            document[pointer] = real->value();
        else if (auto *check = qobject_cast<QCheckBox *>(editor))
            document[pointer] = check->isChecked();
        else if (auto *combo = qobject_cast<QComboBox *>(editor))
            document[pointer] = combo->currentText().toStdString();
    }
}

void VariantEditors::onChange(const std::function<void(QWidget *editor)> &changed)
{
    for (QWidget *editor : editors_) {
        const auto notify = [changed, editor] { changed(editor); };
        if (auto *spin = qobject_cast<QSpinBox *>(editor))
            QObject::connect(spin, &QSpinBox::valueChanged, spin, notify);
        else if (auto *real = qobject_cast<QDoubleSpinBox *>(editor))
            QObject::connect(real, &QDoubleSpinBox::valueChanged, real, notify);
        else if (auto *check = qobject_cast<QCheckBox *>(editor))
            QObject::connect(check, &QCheckBox::toggled, check, notify);
        else if (auto *combo = qobject_cast<QComboBox *>(editor))
            QObject::connect(combo, &QComboBox::currentTextChanged, combo, notify);
    }
}

} // namespace lwb::ui
