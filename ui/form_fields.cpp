// See form_fields.h.
#include "ui/form_fields.h"

#include <QBoxLayout>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QSpinBox>

#include <algorithm>

namespace lwb::ui {

nlohmann::json::json_pointer jsonPointerOf(const QString &path)
{
    QString text = path;
    text.replace(QLatin1Char('.'), QLatin1Char('/'));
    return nlohmann::json::json_pointer("/" + text.toStdString());
}

const nlohmann::json *jsonValueAt(const nlohmann::json &document, const QString &path)
{
    const auto pointer = jsonPointerOf(path);
    return document.contains(pointer) ? &document.at(pointer) : nullptr;
}

void eraseJsonPath(nlohmann::json &document, const QString &path)
{
    const auto pointer = jsonPointerOf(path);
    if (document.contains(pointer))
        document.at(pointer.parent_pointer()).erase(pointer.back());
}

QSpinBox *intSpin(int min, int max, const QString &special)
{
    auto *spin = new QSpinBox;
    spin->setRange(min, max);
    spin->setSpecialValueText(special);
    spin->setGroupSeparatorShown(true);
    spin->setAccelerated(true);
    return spin;
}

QDoubleSpinBox *realSpin(double min, double max, int decimals, double step)
{
    auto *spin = new QDoubleSpinBox;
    spin->setRange(min, max);
    spin->setDecimals(decimals);
    spin->setSingleStep(step);
    return spin;
}

QFormLayout *addFormGroup(QBoxLayout *layout, const QString &title)
{
    auto *group = new QGroupBox(title);
    auto *form = new QFormLayout(group);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setRowWrapPolicy(QFormLayout::DontWrapRows);
    layout->addWidget(group);
    return form;
}

FormDocumentReader::FormDocumentReader(const nlohmann::json &document, Note note)
    : document_(document)
    , note_(std::move(note))
{
}

QString FormDocumentReader::text(const QString &path, const std::string &fallback) const
{
    const auto *found = value(path);
    if (found && found->is_string())
        return QString::fromStdString(found->get<std::string>());
    if (found)
        note_(path, tr("expected text, got %1; the form shows the default").arg(QString::fromStdString(found->dump())));
    return QString::fromStdString(fallback);
}

void FormDocumentReader::integer(QSpinBox *spin, const QString &path, std::int64_t fallback) const
{
    std::int64_t number = fallback;
    if (const auto *found = value(path)) {
        if (found->is_number_integer())
            number = found->get<std::int64_t>();
        else
            note_(path, tr("expected a whole number, got %1; the form shows the default")
                            .arg(QString::fromStdString(found->dump())));
    }
    if (number < spin->minimum() || number > spin->maximum())
        note_(path, tr("%1 is outside %2 to %3; the form shows the nearest allowed value")
                        .arg(number)
                        .arg(spin->minimum())
                        .arg(spin->maximum()));
    spin->setValue(static_cast<int>(std::clamp<std::int64_t>(number, spin->minimum(), spin->maximum())));
}

double FormDocumentReader::real(const QString &path, double fallback) const
{
    const auto *found = value(path);
    if (found && found->is_number())
        return found->get<double>();
    if (found)
        note_(path,
              tr("expected a number, got %1; the form shows the default").arg(QString::fromStdString(found->dump())));
    return fallback;
}

void FormDocumentReader::real(QDoubleSpinBox *spin, const QString &path, double fallback) const
{
    const double number = real(path, fallback);
    if (number < spin->minimum() || number > spin->maximum())
        note_(path, tr("%1 is outside %2 to %3; the form shows the nearest allowed value")
                        .arg(number)
                        .arg(spin->minimum())
                        .arg(spin->maximum()));
    spin->setValue(number);
}

void FormDocumentReader::choose(QComboBox *combo, const QString &name)
{
    if (combo->findText(name) < 0)
        combo->addItem(name); // shown as chosen; validation says what is wrong with it
    combo->setCurrentText(name);
}

} // namespace lwb::ui
