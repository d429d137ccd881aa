// See target_selector.h.
#include "ui/target_selector.h"

#include "ui/engine_catalog.h"

#include <QCheckBox>
#include <QGridLayout>

namespace lwb::ui {

namespace {

constexpr int kColumns = 3;

QString layerTooltip(const QString &name)
{
    static const QHash<QString, QString> kRoles = {
        {QStringLiteral("c_attn"), QStringLiteral("GPT-2's fused query/key/value projection")},
        {QStringLiteral("c_proj"), QStringLiteral("GPT-2's output projections (attention and MLP)")},
        {QStringLiteral("c_fc"), QStringLiteral("GPT-2's MLP up-projection")},
        {QStringLiteral("q_proj"), QStringLiteral("attention query projection")},
        {QStringLiteral("k_proj"), QStringLiteral("attention key projection")},
        {QStringLiteral("v_proj"), QStringLiteral("attention value projection")},
        {QStringLiteral("o_proj"), QStringLiteral("attention output projection")},
        {QStringLiteral("gate_proj"), QStringLiteral("SwiGLU gate projection")},
        {QStringLiteral("up_proj"), QStringLiteral("SwiGLU up-projection")},
        {QStringLiteral("down_proj"), QStringLiteral("SwiGLU down-projection")},
        {QStringLiteral("qkv_proj"), QStringLiteral("Phi-3's fused query/key/value projection")},
        {QStringLiteral("gate_up_proj"), QStringLiteral("Phi-3's fused gate and up-projection")},
    };
    const QString role = kRoles.value(name);
    return role.isEmpty() ? QObject::tr("Attach an adapter to every %1 layer.").arg(name)
                          : QObject::tr("Attach an adapter to every %1 layer (%2).").arg(name, role);
}

} // namespace

TargetSelector::TargetSelector(QWidget *parent)
    : QWidget(parent)
    , grid_(new QGridLayout(this))
    , names_(EngineCatalog::targetLayerNames(architecture_))
{
    grid_->setContentsMargins(0, 0, 0, 0);
    rebuild(names_);
}

void TargetSelector::setArchitecture(lwb::Architecture architecture)
{
    if (architecture == architecture_ && !boxes_.empty() && names_ == EngineCatalog::targetLayerNames(architecture))
        return;
    architecture_ = architecture;
    setLayerNames(EngineCatalog::targetLayerNames(architecture));
}

void TargetSelector::setLayerNames(const QStringList &names)
{
    if (names == names_ && !boxes_.empty())
        return;
    const QStringList keep = selected();
    names_ = names;
    rebuild(keep);
    // Nothing in common (GPT-2 <-> Llama share no names): all layers, as the
    // engine's default would be.
    if (selected().isEmpty())
        setSelected({});
    Q_EMIT selectionChanged();
}

void TargetSelector::setSelected(const QStringList &names)
{
    {
        const QSignalBlocker blocker(this);
        for (auto *box : boxes_)
            box->setChecked(names.isEmpty() || names.contains(box->text()));
    }
    Q_EMIT selectionChanged();
}

QStringList TargetSelector::selected() const
{
    QStringList names;
    for (auto *box : boxes_) {
        if (box->isChecked())
            names << box->text();
    }
    return names;
}

QCheckBox *TargetSelector::checkBox(const QString &name) const
{
    for (auto *box : boxes_) {
        if (box->text() == name)
            return box;
    }
    return nullptr;
}

void TargetSelector::rebuild(const QStringList &keepChecked)
{
    for (auto *box : boxes_)
        delete box;
    boxes_.clear();
    const QStringList &names = names_;
    for (int i = 0; i < names.size(); ++i) {
        auto *box = new QCheckBox(names[i], this);
        box->setObjectName(QStringLiteral("target_") + names[i]);
        box->setToolTip(layerTooltip(names[i]));
        box->setChecked(keepChecked.contains(names[i]));
        connect(box, &QCheckBox::toggled, this, &TargetSelector::selectionChanged);
        grid_->addWidget(box, i / kColumns, i % kColumns);
        boxes_.push_back(box);
    }
}

} // namespace lwb::ui
