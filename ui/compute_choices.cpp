// See compute_choices.h.
#include "ui/compute_choices.h"

#include "ui/engine_catalog.h"

#include <QComboBox>
#include <QCoreApplication>
#include <QStandardItemModel>

#include <algorithm>

namespace lwb::ui {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("ComputeChoices", text);
}

} // namespace

QString noCudaDeviceText()
{
    return tr("no CUDA device: torch sees none on this machine");
}

void fillDeviceChoices(QComboBox *combo)
{
    const auto names = EngineCatalog::deviceNames();
    const auto gpus = std::count_if(names.begin(), names.end(),
                                    [](const QString &name) { return name.startsWith(QLatin1String("cuda:")); });
    for (const auto &name : names) {
        combo->addItem(name);
        combo->setItemData(combo->count() - 1,
                           name == QLatin1String("cpu")
                               ? tr("The CPU: float32 runs are bitwise reproducible (same seed, same thread count).")
                               : tr("CUDA device %1 as torch numbers it (torch::cuda::device_count() = %2).")
                                     .arg(name.mid(5))
                                     .arg(gpus),
                           Qt::ToolTipRole);
    }
    if (gpus > 1) { // "cuda": each process of a data-parallel job on its own GPU (cuda:rank)
        combo->insertItem(1, QStringLiteral("cuda"));
        combo->setItemData(1, tr("Every GPU: with several processes, process r trains on cuda:r."), Qt::ToolTipRole);
    }
    if (gpus == 0) {
        // Shown, not choosable: the list says why it holds only the CPU.
        combo->insertSeparator(combo->count());
        combo->addItem(noCudaDeviceText());
        const int row = combo->count() - 1;
        combo->setItemData(row,
                           tr("torch::cuda::is_available() is false: no NVIDIA GPU, or no driver for it. "
                              "Runs train on the CPU here."),
                           Qt::ToolTipRole);
        if (auto *model = qobject_cast<QStandardItemModel *>(combo->model()))
            model->item(row)->setFlags(Qt::NoItemFlags);
    }
}

void fillPrecisionChoices(QComboBox *combo)
{
    const struct
    {
        const char *name;
        const char *tooltip;
    } choices[] = {
        {"auto", "bf16 on CUDA, fp32 on the CPU (where bf16 only pays on CPUs with AMX or AVX-512 BF16, and fp32 "
                 "keeps runs bitwise reproducible)."},
        {"fp32", "Everything float32, no autocast: the bitwise-reproducible path."},
        {"bf16", "Base weights in bfloat16 and the forward under bf16 autocast (matmuls in bf16, float32 "
                 "accumulation); adapter weights, gradients and AdamW's moments stay float32. Half the base's "
                 "memory; 8 significant bits, float32's range, so no loss scaling."},
        {"fp16", "As bf16 with float16: 11 significant bits but a small range, so the loss is scaled and a step "
                 "whose gradients overflow is skipped."},
    };
    for (const auto &choice : choices) {
        combo->addItem(QString::fromLatin1(choice.name));
        combo->setItemData(combo->count() - 1, tr(choice.tooltip), Qt::ToolTipRole);
    }
}

} // namespace lwb::ui
