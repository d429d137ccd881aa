// makeTaskData: the TaskData a run's `data` section describes — the generated
// task suite (data.source "builtin:tasks") or a JSONL dataset ("jsonl").
//
// jsonl: training examples from data.train_file; evaluation examples from
// data.eval_file, or else the data.eval_ratio share of train_file chosen by
// a hash of each example (isEvalByRatio), so the split survives reordering.
// data.tasks, when not empty, keeps only those tasks (a listed task with no
// example is an error). At most data.eval_examples evaluation examples are
// used, the first in file order. Bad lines stop the run with file:line and
// reason unless data.skip_bad_lines; the number skipped is kept in
// TaskData::skippedLines(). `format` encodes the examples (the run's
// tokenizer, engine/model/base_model.h loadModelTokenizer).
#pragma once

#include "engine/config/run_config.h"
#include "engine/data/batch_builder.h"

#include <memory>

namespace lwb {

std::unique_ptr<TaskData> makeTaskData(const DataConfig &data, std::uint64_t seed, const SequenceFormat &format);

} // namespace lwb
