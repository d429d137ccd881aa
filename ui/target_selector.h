// TargetSelector: one checkbox per linear layer of the chosen architecture —
// which layers get an adapter (adapter.targets in the run config).
//
// The layer names come from the engine: a preset's from its architecture
// (EngineCatalog::targetLayerNames), a checkpoint folder's from the folder
// itself (setLayerNames with ModelInspection::targetModules, the names the
// model registers, e.g. Phi-3's qkv_proj / gate_up_proj). Changing the names
// rebuilds the boxes and keeps the names both share.
#pragma once

#include "engine/model/model_config.h"

#include <QStringList>
#include <QWidget>

#include <vector>

class QCheckBox;
class QGridLayout;

namespace lwb::ui {

class TargetSelector : public QWidget
{
    Q_OBJECT

public:
    explicit TargetSelector(QWidget *parent = nullptr);

    void setArchitecture(lwb::Architecture architecture);
    // The real module names of a chosen model, in its forward order.
    void setLayerNames(const QStringList &names);
    const QStringList &layerNames() const { return names_; }
    lwb::Architecture architecture() const { return architecture_; }
    // Checks exactly these names (unknown names are ignored; the form's
    // validation reports them). An empty list checks every layer, as the
    // engine reads "no targets" as "all linear layers".
    void setSelected(const QStringList &names);
    QStringList selected() const; // in the architecture's layer order
    QCheckBox *checkBox(const QString &name) const;

Q_SIGNALS:
    void selectionChanged();

private:
    void rebuild(const QStringList &keepChecked);

    lwb::Architecture architecture_ = lwb::Architecture::Gpt2;
    QStringList names_;
    QGridLayout *grid_;
    std::vector<QCheckBox *> boxes_;
};

} // namespace lwb::ui
