// See run_table_model.h.
#include "ui/run_table_model.h"

#include "storage/config_diff.h"
#include "storage/seed_groups.h"

#include <QDateTime>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>

namespace lwb::ui {

namespace {

std::optional<double> numberAt(const std::map<std::string, std::string> &flat, const std::string &path)
{
    const auto found = flat.find(path);
    if (found == flat.end())
        return std::nullopt;
    try {
        return std::stod(found->second);
    } catch (const std::exception &) {
        return std::nullopt; // not a number (a string, null): shown as missing
    }
}

std::optional<double> durationSeconds(const lwb::storage::RunRecord &run)
{
    if (!run.startedAt)
        return std::nullopt;
    const double end = run.finishedAt ? *run.finishedAt : run.heartbeatAt.value_or(*run.startedAt);
    return end - *run.startedAt;
}

QString durationText(double seconds)
{
    const auto total = static_cast<qint64>(seconds + 0.5);
    if (total < 60)
        return QStringLiteral("%1 s").arg(total);
    if (total < 3600)
        return QStringLiteral("%1 min %2 s").arg(total / 60).arg(total % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1 h %2 min").arg(total / 3600).arg((total % 3600) / 60, 2, 10, QLatin1Char('0'));
}

QVariant optionalText(const std::optional<double> &value, char format = 'g', int precision = 4)
{
    return value ? QVariant(QString::number(*value, format, precision)) : QVariant(QStringLiteral("–"));
}

// Missing values sort after every present one in ascending order.
QVariant optionalKey(const std::optional<double> &value)
{
    return value ? *value : std::numeric_limits<double>::infinity();
}

} // namespace

RunRow runRow(lwb::storage::RunListEntry entry)
{
    RunRow row;
    row.run = std::move(entry.run);
    row.finalEvalLoss = entry.finalEvalLoss;
    row.bestEvalLoss = entry.bestEvalLoss;
    row.meanExactMatch = entry.meanExactMatch;
    const auto config = nlohmann::json::parse(row.run.configJson, nullptr, false);
    if (config.is_object()) {
        const auto flat = lwb::storage::flattenJson(config);
        row.rank = numberAt(flat, "adapter.r");
        row.alpha = numberAt(flat, "adapter.alpha");
        row.learningRate = numberAt(flat, "training.lr");
    }
    try {
        row.seedGroup = lwb::storage::seedGroupKey(row.run.configJson);
    } catch (const std::exception &) {
        row.seedGroup = "run:" + std::to_string(row.run.id); // a damaged config is a group of its own
    }
    return row;
}

void RunTableModel::setRows(std::vector<RunRow> rows)
{
    beginResetModel();
    rows_ = std::move(rows);
    groups_.clear();
    for (const auto &row : rows_) {
        auto &group = groups_[row.seedGroup];
        group.oldestRun = group.size == 0 ? row.run.id : std::min(group.oldestRun, row.run.id);
        ++group.size;
    }
    endResetModel();
}

std::vector<std::int64_t> RunTableModel::seedGroupRunIds(std::int64_t runId) const
{
    const auto run
        = std::find_if(rows_.begin(), rows_.end(), [runId](const RunRow &row) { return row.run.id == runId; });
    std::vector<std::int64_t> ids;
    if (run == rows_.end())
        return ids;
    for (const auto &row : rows_)
        if (row.seedGroup == run->seedGroup)
            ids.push_back(row.run.id);
    std::sort(ids.begin(), ids.end());
    return ids;
}

int RunTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int RunTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RunTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid())
        return {};
    const RunRow &row = runRow(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return display(row, index.column());
    case kSortRole:
        return sortKey(row, index.column());
    case Qt::ToolTipRole:
        if (index.column() == StatusColumn && !row.run.statusMessage.empty())
            return QString::fromStdString(row.run.statusMessage);
        if (index.column() == SeedGroupColumn)
            return groupOf(row).size > 1
                       ? tr("%n run(s) whose configs differ only in their seed; the group of run #%1.", nullptr,
                            groupOf(row).size)
                             .arg(groupOf(row).oldestRun)
                       : tr("No other run differs from this one only in its seed.");
        if (!row.run.notes.empty())
            return QString::fromStdString(row.run.notes);
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() != NameColumn && index.column() != VariantColumn && index.column() != StatusColumn
            && index.column() != TagsColumn)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    default:
        return {};
    }
}

QVariant RunTableModel::display(const RunRow &row, int column) const
{
    const auto &run = row.run;
    switch (column) {
    case IdColumn:
        return QVariant::fromValue<qint64>(run.id);
    case NameColumn:
        return QString::fromStdString(run.name);
    case VariantColumn:
        return QString::fromStdString(run.variant);
    case StatusColumn:
        return QString::fromLatin1(lwb::storage::toString(run.status));
    case SeedGroupColumn: {
        const GroupInfo &group = groupOf(row);
        return group.size > 1 ? QStringLiteral("#%1 \u00d7%2").arg(group.oldestRun).arg(group.size)
                              : QStringLiteral("–");
    }
    case RankColumn:
        return optionalText(row.rank);
    case AlphaColumn:
        return optionalText(row.alpha);
    case LearningRateColumn:
        return optionalText(row.learningRate, 'g', 3);
    case StepsColumn:
        return QVariant::fromValue<qint64>(run.totalSteps);
    case FinalEvalLossColumn:
        return optionalText(row.finalEvalLoss);
    case BestEvalLossColumn:
        return optionalText(row.bestEvalLoss);
    case ExactMatchColumn:
        return row.meanExactMatch ? QVariant(QStringLiteral("%1 %").arg(100.0 * *row.meanExactMatch, 0, 'f', 1))
                                  : QVariant(QStringLiteral("–"));
    case DurationColumn: {
        const auto seconds = durationSeconds(run);
        return seconds ? QVariant(durationText(*seconds)) : QVariant(QStringLiteral("–"));
    }
    case TagsColumn: {
        QStringList tags;
        for (const auto &tag : run.tags)
            tags << QString::fromStdString(tag);
        return tags.join(QStringLiteral(", "));
    }
    case CreatedColumn:
        return QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(run.createdAt * 1000.0))
            .toString(QStringLiteral("yyyy-MM-dd hh:mm"));
    default:
        return {};
    }
}

QVariant RunTableModel::sortKey(const RunRow &row, int column) const
{
    switch (column) {
    case IdColumn:
        return QVariant::fromValue<qint64>(row.run.id);
    case SeedGroupColumn: {
        // Groups together, oldest group first, runs by id inside; lone runs last.
        const GroupInfo &group = groupOf(row);
        const std::int64_t lead = group.size > 1 ? group.oldestRun : std::numeric_limits<std::int32_t>::max();
        return QStringLiteral("%1:%2").arg(lead, 12, 10, QLatin1Char('0')).arg(row.run.id, 12, 10, QLatin1Char('0'));
    }
    case RankColumn:
        return optionalKey(row.rank);
    case AlphaColumn:
        return optionalKey(row.alpha);
    case LearningRateColumn:
        return optionalKey(row.learningRate);
    case StepsColumn:
        return QVariant::fromValue<qint64>(row.run.totalSteps);
    case FinalEvalLossColumn:
        return optionalKey(row.finalEvalLoss);
    case BestEvalLossColumn:
        return optionalKey(row.bestEvalLoss);
    case ExactMatchColumn:
        return optionalKey(row.meanExactMatch);
    case DurationColumn:
        return optionalKey(durationSeconds(row.run));
    case CreatedColumn:
        return row.run.createdAt;
    default:
        return display(row, column);
    }
}

QVariant RunTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case IdColumn:
        return tr("ID");
    case NameColumn:
        return tr("Name");
    case VariantColumn:
        return tr("Variant");
    case StatusColumn:
        return tr("Status");
    case SeedGroupColumn:
        return tr("Seed group");
    case RankColumn:
        return tr("r");
    case AlphaColumn:
        return tr("alpha");
    case LearningRateColumn:
        return tr("lr");
    case StepsColumn:
        return tr("Steps");
    case FinalEvalLossColumn:
        return tr("Eval loss");
    case BestEvalLossColumn:
        return tr("Best eval loss");
    case ExactMatchColumn:
        return tr("Exact match");
    case DurationColumn:
        return tr("Duration");
    case TagsColumn:
        return tr("Tags");
    case CreatedColumn:
        return tr("Created");
    default:
        return {};
    }
}

} // namespace lwb::ui
