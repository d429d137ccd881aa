// See variant_fields.h. The tooltips say what each option does and which
// value is the default, because this is where a researcher decides them.
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

VariantPanel siraPanel()
{
    using Kind = VariantField::Kind;
    VariantPanel panel{QStringLiteral("sira"), QStringLiteral("adapter.sira"), tr("SiRA: sparse mixture of LoRA experts"), {}};
    panel.fields = {
        {QStringLiteral("adapter.sira.experts"), tr("E&xperts E"), Kind::Integer, 1, 256, 0, 1, {},
         tr("LoRA experts per adapted layer, each of rank r. Default 8.")},
        {QStringLiteral("adapter.sira.top_k"), tr("Top-&k"), Kind::Integer, 1, 256, 0, 1, {},
         tr("Experts each token uses: the k with the highest router probability. Default 2.")},
        {QStringLiteral("adapter.sira.capacity_factor"), tr("Ca&pacity factor"), Kind::Real, 0, 1000, 2, 0.05, {},
         tr("Each expert takes at most C = ceil(factor · k · T / E) of the T real tokens of its group, "
            "first choices before second choices; the rest are dropped. 0 removes the limit. Default 1.25.")},
        {QStringLiteral("adapter.sira.eval_capacity_factor"), tr("E&val capacity factor"), Kind::Real, -1, 1000, 2, 0.05,
         {}, tr("The capacity factor of evaluation forwards: −1 (default) uses the training one; Switch Transformer "
                "evaluates with a larger one (2.0), 0 removes the limit so a token's output never depends on its "
                "batch.")},
        {QStringLiteral("adapter.sira.capacity_group"), tr("Capacity &group"), Kind::Choice, 0, 0, 0, 1,
         {QStringLiteral("batch"), QStringLiteral("sequence")},
         tr("Which tokens share the capacity: the whole micro-batch (default) or each sequence.")},
        {QStringLiteral("adapter.sira.renormalize_gates"), tr("Renormalise gates"), Kind::Flag, 0, 0, 0, 1, {},
         tr("Rescale a token's top-k probabilities to sum to 1 (default) instead of using them raw.")},
        {QStringLiteral("adapter.sira.expert_dropout"), tr("Expert &dropout"), Kind::Real, 0, 0.99, 3, 0.01, {},
         tr("Training only: each of a token's gates is zeroed with this probability, against over-fitting. "
            "0 disables it. Default 0.1.")},
        {QStringLiteral("adapter.sira.expert_dropout_scaling"), tr("Dropout scaling"), Kind::Choice, 0, 0, 0, 1,
         {QStringLiteral("inverted"), QStringLiteral("renormalize"), QStringLiteral("none")},
         tr("How surviving gates are scaled: inverted (default, a dropout layer on the gate values G(x), the "
            "paper's wording): g / (1 − p); renormalize: back to the gates' sum before dropout; none: unchanged.")},
        {QStringLiteral("adapter.sira.expert_dropout_stage"), tr("Dropout stage"), Kind::Choice, 0, 0, 0, 1,
         {QStringLiteral("after_capacity"), QStringLiteral("before_capacity")},
         tr("after_capacity (default): a dropped gate keeps its place in the expert's queue. before_capacity: "
            "dropped assignments do not queue, so later tokens take their places.")},
        {QStringLiteral("adapter.sira.aux_loss_coef"), tr("Balance loss coef"), Kind::Real, 0, 100, 4, 0.001, {},
         tr("Weight of the load-balancing loss E · Σ f_e P_e. 0 disables it. Default 0.01.")},
        {QStringLiteral("adapter.sira.balance_reduction"), tr("Balance over layers"), Kind::Choice, 0, 0, 0, 1,
         {QStringLiteral("mean"), QStringLiteral("sum")},
         tr("mean (default): the coefficient weighs the mean over SiRA layers; sum: one loss per layer, as "
            "Switch and GShard (the same as mean with the coefficient times the number of layers).")},
        {QStringLiteral("adapter.sira.balance_counting"), tr("Balance counts"), Kind::Choice, 0, 0, 0, 1,
         {QStringLiteral("top_k"), QStringLiteral("first_choice")},
         tr("f_e of the balance loss: the share of all top-k assignments (default) or of tokens whose first "
            "choice is e (GShard).")},
        {QStringLiteral("adapter.sira.z_loss_coef"), tr("Router z-loss coef"), Kind::Real, 0, 100, 4, 0.001, {},
         tr("Weight of the router z-loss (mean squared logsumexp of the router logits). Default 0 (off).")},
        {QStringLiteral("adapter.sira.router_jitter"), tr("Router &jitter"), Kind::Real, 0, 0.99, 3, 0.01, {},
         tr("Training only: the router reads its input times U(1 − j, 1 + j) noise. Default 0 (off).")},
    };
    return panel;
}

VariantPanel resloraPanel()
{
    using Kind = VariantField::Kind;
    VariantPanel panel{QStringLiteral("reslora"), QStringLiteral("adapter.reslora"),
                       tr("ResLoRA: shortcuts between the LoRA blocks of successive layers"), {}};
    panel.fields = {
        {QStringLiteral("adapter.reslora.variant"), tr("Shortc&ut"), Kind::Choice, 0, 0, 0, 1,
         {QStringLiteral("is"), QStringLiteral("bs"), QStringLiteral("ms")},
         tr("Where the residual path joins a block to the same target in the previous layers. "
            "is (input-shortcut, default): B·A reads x + the previous block's input. bs (block-shortcut): "
            "the previous blocks' B·A are added to this one's. ms (middle-shortcut): B reads this block's A·x "
            "plus the previous blocks' A·x.")},
        {QStringLiteral("adapter.reslora.pre_num"), tr("&Earlier blocks"), Kind::Integer, -1, 4096, 0, 1, {},
         tr("How many earlier blocks a bs or ms block links to; −1 links all of them. is always uses the one "
            "before. Default 1.")},
        {QStringLiteral("adapter.reslora.merge"), tr("&Merge"), Kind::Choice, 0, 0, 0, 1,
         {QStringLiteral("merge_bi"), QStringLiteral("merge_bw")},
         tr("How is and ms are merged into plain LoRA after training, named as the official README (merge_flag "
            "3 / 4). merge_bw (default): is takes α = ‖x(n−1)‖/‖x(n)‖ from training inputs; ms scales B·A by "
            "1 + Σ ‖A·x‖ ratios. merge_bi: is takes α from the norms of the earlier blocks' merged weights; ms "
            "adds the earlier blocks' A to this one's, weighted by input-norm ratios. bs always merges exactly.")},
        {QStringLiteral("adapter.reslora.window"), tr("Norm &window"), Kind::Integer, 1, 1000000, 0, 1, {},
         tr("Training batches over which the norms for the merge are averaged (the latest ones). Default 100.")},
        {QStringLiteral("adapter.reslora.bs_dropout"), tr("bs &dropout"), Kind::Choice, 0, 0, 0, 1,
         {QStringLiteral("per_block"), QStringLiteral("shared")},
         tr("bs only: per_block (default, the official code) draws one LoRA-dropout mask per linked block; "
            "shared uses one mask for all of them.")},
        {QStringLiteral("adapter.reslora.mlp_chain"), tr("MLP c&hains"), Kind::Choice, 0, 0, 0, 1,
         {QStringLiteral("per_projection"), QStringLiteral("up_down")},
         tr("Llama's up_proj / down_proj: per_projection (default, the official code) chains each with itself; "
            "up_down puts them in one chain in module order, where only equal shapes link.")},
    };
    return panel;
}

VariantPanel dlpPanel()
{
    using Kind = VariantField::Kind;
    VariantPanel panel{QStringLiteral("dlp"), QStringLiteral("adapter.dlp"),
                       tr("DLP-LoRA: a plugin picks and fuses task LoRAs per input"), {}};
    panel.fields = {
        {QStringLiteral("adapter.dlp.task_steps"), tr("Steps per task &LoRA"), Kind::Integer, 1, 10000000, 0, 1, {},
         tr("Training steps of each task LoRA the study trains (rank, alpha and targets above); the multi-task "
            "LoRA it is compared with trains N times as long on all the tasks. Default 300.")},
        {QStringLiteral("adapter.dlp.plugin.embedding"), tr("Plugin &embedding"), Kind::Choice, 0, 0, 0, 1,
         {QStringLiteral("own"), QStringLiteral("base")},
         tr("The plugin's token embeddings: its own trainable table (default) or the base model's input "
            "embeddings, frozen.")},
        {QStringLiteral("adapter.dlp.plugin.embedding_dim"), tr("Embedding dim"), Kind::Integer, 1, 65536, 0, 1, {},
         tr("Width of the plugin's own embedding table. Default 256.")},
        {QStringLiteral("adapter.dlp.plugin.layers"), tr("Plugin la&yers"), Kind::Integer, 2, 4, 0, 1, {},
         tr("Linear layers of the plugin's MLP (2–4); the last gives the N task logits. Default 3.")},
        {QStringLiteral("adapter.dlp.plugin.width"), tr("Plugin &width"), Kind::Integer, 0, 65536, 0, 1, {},
         tr("Hidden width of the MLP; 0 chooses it so the plugin has about the target parameter count. Default 0.")},
        {QStringLiteral("adapter.dlp.plugin.target_params"), tr("Plugin parameters"), Kind::Integer, 1000, 1000000000,
         0, 1, {}, tr("Parameter budget when the width is 0: about 5M, the paper's mini-MLP. Default 5000000.")},
        {QStringLiteral("adapter.dlp.plugin.bigram_buckets"), tr("Plugin &bigrams"), Kind::Integer, 0, 4194304, 0, 1,
         {}, tr("Hashed embeddings of adjacent token pairs, averaged beside the tokens' own: with a byte tokenizer "
                "the tokens alone are a bag of characters. 0 reads tokens only (a plain token mean). Default 4096.")},
        {QStringLiteral("adapter.dlp.plugin.epochs"), tr("Plugin e&pochs"), Kind::Integer, 1, 10000, 0, 1, {},
         tr("Passes over the plugin's training prompts. Default 4.")},
        {QStringLiteral("adapter.dlp.plugin.lr"), tr("Plugin learning rate"), Kind::Real, 0.000001, 1, 6, 0.0001, {},
         tr("AdamW learning rate of the plugin. Default 0.001.")},
        {QStringLiteral("adapter.dlp.plugin.train_examples"), tr("Plugin prompts"), Kind::Integer, 1, 10000000, 0, 1,
         {}, tr("Training prompts drawn from the tasks' stream, labelled with their task. Default 4096.")},
        {QStringLiteral("adapter.dlp.plugin.eval_examples"), tr("Plugin held-out"), Kind::Integer, 1, 10000000, 0, 1,
         {}, tr("Held-out prompts for the plugin's accuracy and confusion matrix. Default 512.")},
        {QStringLiteral("adapter.dlp.selection.rule"), tr("&Selection"), Kind::Choice, 0, 0, 0, 1,
         {QStringLiteral("top_p"), QStringLiteral("top_k")},
         tr("top_p (default): the most probable LoRAs until their probabilities pass P (the one crossing P "
            "is kept, the top one always). top_k: the k most probable.")},
        {QStringLiteral("adapter.dlp.selection.p"), tr("Top-&P"), Kind::Real, 0.000001, 1, 3, 0.05, {},
         tr("Cumulative probability the kept LoRAs reach (top_p). Default 0.6, the reference code's value.")},
        {QStringLiteral("adapter.dlp.selection.k"), tr("Top-k LoRAs"), Kind::Integer, 1, 1024, 0, 1, {},
         tr("LoRAs kept by top_k (at most the library size). Default 2.")},
        {QStringLiteral("adapter.dlp.selection.weights"), tr("Fusion weights"), Kind::Choice, 0, 0, 0, 1,
         {QStringLiteral("reference"), QStringLiteral("softmax"), QStringLiteral("renormalize")},
         tr("reference (default): as the reference code, top_k the softmax of the top-k logits, top_p the "
            "softmax of the kept probabilities. softmax: of the kept probabilities for both rules. renormalize: "
            "the kept probabilities rescaled to sum to 1 (= softmax of the kept logits).")},
        {QStringLiteral("adapter.dlp.selection.top_p_at_equal"), tr("Top-P at equality"), Kind::Choice, 0, 0, 0, 1,
         {QStringLiteral("keep_next"), QStringLiteral("stop")},
         tr("When the kept probabilities sum to P exactly: keep_next (default, the reference code) keeps the "
            "next LoRA too; stop ends the set there.")},
        {QStringLiteral("adapter.dlp.granularity"), tr("&Granularity"), Kind::Choice, 0, 0, 0, 1,
         {QStringLiteral("input"), QStringLiteral("sentence")},
         tr("input (default, the reference code): the plugin reads the prompt once. sentence (the paper): it "
            "re-reads the context at the start of every generated sentence and may switch the fused set.")},
    };
    return panel;
}

} // namespace

const std::vector<VariantPanel> &variantPanels()
{
    static const std::vector<VariantPanel> kPanels = {siraPanel(), resloraPanel(), dlpPanel()};
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
                                     .arg(number).arg(field.minimum).arg(field.maximum));
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
