// The small trained runs that the playground and DLP-LoRA window tests start
// through the window's own Start button, as a person does: a DLP-LoRA study
// on the built-in tasks (a few steps per task LoRA, a small plugin) and a
// SiRA run from the shipped preset, both a few steps long so a test trains
// them in seconds; plus the waits those tests share. Used by
// dlp_view_test.cpp, playground_dlp_test.cpp and playground_test.cpp.
#pragma once

#include "ui/playground_worker.h"

#include <nlohmann/json.hpp>

#include <QSignalSpy>
#include <QString>
#include <QTemporaryDir>

#include <string>
#include <vector>

namespace lwb::ui {
class MainWindow;
class PlaygroundView;
} // namespace lwb::ui

namespace lwb::ui::test {

// How long one tiny training, one answer or one store read may take on a
// busy two-core machine; CTest's own timeout (300 s) still bounds the suite.
constexpr int kTrainingTimeoutMs = 240000;

// A DLP-LoRA study small enough for a test: one task LoRA per built-in task
// in `tasks` (3 steps each, rank 4 on c_attn of gpt2-tiny), a 2-layer plugin
// on its own 16-wide embedding, routed once per input by top_p `topP` with
// softmax weights.
nlohmann::json tinyDlpStudy(const QString &outputDir, const std::vector<std::string> &tasks, double topP);

// resources/configs/sira_default.json (found through LWB_SOURCE_DIR) cut to
// 3 steps, evaluated once at the end.
nlohmann::json tinySiraRun(const QString &outputDir);

// What a playground test does before any window exists: the user's data
// kept under `dir` (user_data_isolation.h), the answer and routing types
// registered for QSignalSpy.
void preparePlaygroundTest(const QTemporaryDir &dir);

// Shows `window` at 1400 x 900 and waits until it is exposed.
void showWindow(MainWindow &window);

// Loads `config` into the run form (what File > Open does with a config
// file), checks that the form accepts it, presses Start and waits until the
// job ends Finished. Reports through QTest: a caller checks
// QTest::currentTestFailed() after it.
void trainThroughStart(MainWindow &window, const nlohmann::json &config);

// Presses the playground's Send, checks that Cancel is offered while the
// answer runs, and waits until `answered` (a spy on a side's answerFinished)
// holds one more answer. Reports through QTest, as trainThroughStart does.
void sendAndWaitForAnswer(PlaygroundView *view, const QSignalSpy &answered);

// The index-th PlaygroundSide::answerFinished(answer) a spy recorded.
PlaygroundAnswer answerOf(const QSignalSpy &answered, int index);

} // namespace lwb::ui::test
