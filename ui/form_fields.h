// The run form's shared pieces (RunForm and its AdapterSection): JSON paths as
// the form names them ("training.lr"), the spin boxes and group boxes its
// rows are made of, and FormDocumentReader, which puts a document's values
// into editors and notes, by JSON path, every value an editor cannot show
// (wrong type, out of range) — so the form says so under the field instead of
// silently showing a default.
#pragma once

#include <nlohmann/json.hpp>

#include <QCoreApplication>
#include <QString>

#include <cstdint>
#include <functional>
#include <string>

class QBoxLayout;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QSpinBox;

namespace lwb::ui {

// "training.lr" -> "/training/lr".
nlohmann::json::json_pointer jsonPointerOf(const QString &path);
// The value at a JSON path, or null when the document has none.
const nlohmann::json *jsonValueAt(const nlohmann::json &document, const QString &path);
// Removes the value at a JSON path, if there is one.
void eraseJsonPath(nlohmann::json &document, const QString &path);

QSpinBox *intSpin(int min, int max, const QString &special = {});
QDoubleSpinBox *realSpin(double min, double max, int decimals, double step);
// A titled group box of form rows, added to layout.
QFormLayout *addFormGroup(QBoxLayout *layout, const QString &title);

class FormDocumentReader
{
    Q_DECLARE_TR_FUNCTIONS(FormDocumentReader)

public:
    using Note = std::function<void(const QString &path, const QString &reason)>;

    FormDocumentReader(const nlohmann::json &document, Note note);

    const nlohmann::json &document() const { return document_; }
    const Note &note() const { return note_; }
    const nlohmann::json *value(const QString &path) const { return jsonValueAt(document_, path); }

    // The text at path, or fallback (noted when the value is not text).
    QString text(const QString &path, const std::string &fallback) const;
    // A whole number into spin (clamped to its range; noted when clamped or not a whole number).
    void integer(QSpinBox *spin, const QString &path, std::int64_t fallback) const;
    // The number at path, or fallback (noted when the value is not a number).
    double real(const QString &path, double fallback) const;
    void real(QDoubleSpinBox *spin, const QString &path, double fallback) const;
    // Chooses name in combo, adding it when missing (validation says what is wrong with it).
    static void choose(QComboBox *combo, const QString &name);

private:
    const nlohmann::json &document_;
    Note note_;
};

} // namespace lwb::ui
