// VariantFields: the run form's panels for the variant-specific settings
// ("adapter.sira", ...). Each variant declares its fields as data — JSON
// path, label, editor kind, range, tooltip — in its traits
// (engine/adapters/variant_traits.h); a panel is those fields as Qt text, so
// a new variant gets its panel without a line here.
//
// RunForm builds one group box per panel with these editors, shows the panel
// of the chosen variant only, reads the values from the document (missing
// keys show the engine's defaults) and writes the panel's object back only
// while its variant is chosen, so a LoRA run's config carries no SiRA keys.
#pragma once

#include "engine/adapters/variant_traits.h"

#include <nlohmann/json.hpp>

#include <QString>
#include <QStringList>

#include <functional>
#include <vector>

class QWidget;

namespace lwb::ui {

struct VariantField
{
    using Kind = lwb::VariantConfigField::Kind;
    QString path;  // "adapter.sira.top_k"
    QString label; // with an & accelerator
    Kind kind;
    double minimum = 0.0;
    double maximum = 0.0;
    int decimals = 0;    // Real
    double step = 1.0;   // Real
    QStringList choices; // Choice
    QString tooltip;
};

struct VariantPanel
{
    QString variant; // adapter.variant value that shows it
    QString object;  // "adapter.sira"
    QString title;
    std::vector<VariantField> fields;
};

const std::vector<VariantPanel> &variantPanels();

// The editors of one panel.
class VariantEditors
{
public:
    using AddRow = std::function<void(const VariantField &field, QWidget *editor)>;
    using Note = std::function<void(const QString &path, const QString &reason)>;

    VariantEditors(const VariantPanel &panel, const AddRow &addRow);

    // Fills the editors from document, or from defaults where it has no value.
    void read(const nlohmann::json &document, const nlohmann::json &defaults, const Note &note);
    void write(nlohmann::json &document) const;
    void onChange(const std::function<void(QWidget *editor)> &changed);

    const VariantPanel &panel() const { return panel_; }

private:
    VariantPanel panel_;
    std::vector<QWidget *> editors_; // one per field, in order
};

} // namespace lwb::ui
