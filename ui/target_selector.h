// TargetSelector: one checkbox per linear layer of the chosen architecture —
// which layers get an adapter (adapter.targets in the run config).
//
// The layer names come from the engine (EngineCatalog::targetLayerNames), so
// GPT-2 shows c_attn / c_proj / c_fc and Llama q_proj ... down_proj. Switching
// architecture rebuilds the boxes and keeps the names both share.
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
    QGridLayout *grid_;
    std::vector<QCheckBox *> boxes_;
};

} // namespace lwb::ui
