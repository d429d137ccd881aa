// AdapterSection: the run form's adapter settings — the variant, rank, alpha,
// dropout, rsLoRA and target layers ("adapter.*"), the DLP-LoRA study's task
// library, and one panel per variant with that variant's own settings
// (variant_fields.h), of which only the chosen variant's is shown.
//
// Split from RunForm because it is the one part of the form that changes
// shape with a choice: which panel shows, whether the adapter fields apply at
// all (full fine-tuning has no adapter), and which variant section goes into
// the document. RunForm still owns the rows (its addRow keeps the map from
// JSON path to field that validation messages land on), the base model and
// the validation.
#pragma once

#include <nlohmann/json.hpp>

#include <QString>
#include <QWidget>

#include <functional>
#include <memory>
#include <vector>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QSpinBox;

namespace lwb::ui {

class DlpLibraryEditor;
class FormDocumentReader;
class TargetSelector;
class VariantEditors;

class AdapterSection : public QWidget
{
    Q_OBJECT

public:
    // Adds one row (label, editor named by its JSON path) to a group's form.
    using AddRow = std::function<void(QFormLayout *form, const QString &label, const QString &path, QWidget *editor,
                                      const QString &tooltip)>;
    using Problem = std::function<void(const QString &path, const QString &reason)>;

    explicit AdapterSection(const AddRow &addRow, QWidget *parent = nullptr);
    ~AdapterSection() override;

    QString variant() const; // adapter.variant as chosen
    TargetSelector *targets() const { return targets_; }
    DlpLibraryEditor *dlpLibrary() const { return dlpLibrary_; }

    // Fills the editors from the reader's document (the engine's defaults
    // where it has no value); baseName names the base model in notes about
    // targets it does not have. The target names must already be the base's.
    void read(const FormDocumentReader &reader, const QString &baseName);
    // Writes adapter.* (only the chosen variant's section) into document;
    // what the editors cannot express goes to problem.
    void write(nlohmann::json &document, const Problem &problem) const;

Q_SIGNALS:
    void edited(QWidget *editor); // an editor of the section changed

private:
    void showVariantPanels(); // only the chosen variant's panel

    QComboBox *variant_;
    QSpinBox *rank_;
    QDoubleSpinBox *alpha_;
    QDoubleSpinBox *dropout_;
    QCheckBox *rslora_;
    TargetSelector *targets_;
    DlpLibraryEditor *dlpLibrary_ = nullptr;                      // in the DLP-LoRA panel
    std::vector<std::unique_ptr<VariantEditors>> variantEditors_; // one per variant panel
    std::vector<QWidget *> variantGroups_;                        // their group boxes, same order
};

} // namespace lwb::ui
