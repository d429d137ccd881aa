// Preferences: what the user sets once for the workbench — the colour theme,
// how often plots redraw, and the device and torch thread count that new run
// configs start from. Kept in QSettings ("preferences/..."), applied live.
#pragma once

#include <QString>

class QApplication;

namespace lwb::ui {

struct Preferences
{
    static constexpr int kMinRefreshHz = 1;
    static constexpr int kMaxRefreshHz = 60;

    QString theme = QStringLiteral("system"); // "system", "light" or "dark"
    int plotRefreshHz = 30;
    QString defaultDevice = QStringLiteral("cpu");
    int threads = 0; // 0: as many as the machine has cores

    static Preferences load();
    void save() const;
    bool operator==(const Preferences &other) const;
};

// "system" keeps the platform's style and palette (a dark desktop gives a dark
// workbench); "light" and "dark" use the Fusion style with a fixed palette.
void applyTheme(const QString &theme);

} // namespace lwb::ui
