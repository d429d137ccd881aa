// RunTableModel: the runs of the store as table rows for the run browser —
// identity, status, the key hyperparameters read from each run's config, the
// final and best evaluation loss, the mean exact match of the last
// evaluation, duration and tags.
//
// The seed-group column: runs whose configs differ only in their seed
// (storage/seed_groups.h's key) share a group, named after its oldest run
// ("#12 ×3"); sorting on it puts a group's runs together, oldest group
// first, and a run alone in its group after every group.
//
// Display texts are for people; Qt::UserRole holds the sort key (numbers as
// numbers, missing values last), so a QSortFilterProxyModel sorting on that
// role orders "10" after "9" and a run without evaluations after all others.
#pragma once

#include "storage/run_records.h"

#include <QAbstractTableModel>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lwb::ui {

struct RunRow
{
    lwb::storage::RunRecord run;
    std::optional<double> rank;
    std::optional<double> alpha;
    std::optional<double> learningRate;
    std::optional<double> finalEvalLoss;
    std::optional<double> bestEvalLoss;
    std::optional<double> meanExactMatch; // mean over tasks, last evaluation
    std::string seedGroup;                // seedGroupKey of the config; the run id for a config that does not parse
};

// The row of one run: the store's list entry (record and figures, one query
// for the whole list) plus what its config says. Pure: runs on the store thread.
RunRow runRow(lwb::storage::RunListEntry entry);

class RunTableModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column {
        IdColumn,
        NameColumn,
        VariantColumn,
        StatusColumn,
        SeedGroupColumn,
        RankColumn,
        AlphaColumn,
        LearningRateColumn,
        StepsColumn,
        FinalEvalLossColumn,
        BestEvalLossColumn,
        ExactMatchColumn,
        DurationColumn,
        TagsColumn,
        CreatedColumn,
        ColumnCount
    };
    static constexpr int kSortRole = Qt::UserRole;

    using QAbstractTableModel::QAbstractTableModel;

    void setRows(std::vector<RunRow> rows);
    const RunRow &runRow(int row) const { return rows_.at(static_cast<std::size_t>(row)); }
    // The ids of the runs in the seed group of this run (itself included), ascending.
    std::vector<std::int64_t> seedGroupRunIds(std::int64_t runId) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    QVariant display(const RunRow &row, int column) const;
    QVariant sortKey(const RunRow &row, int column) const;

    struct GroupInfo
    {
        std::int64_t oldestRun = 0;
        int size = 0;
    };
    const GroupInfo &groupOf(const RunRow &row) const { return groups_.at(row.seedGroup); }

    std::vector<RunRow> rows_;
    std::map<std::string, GroupInfo> groups_; // by seedGroup key
};

} // namespace lwb::ui
