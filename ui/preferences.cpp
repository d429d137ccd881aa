// See preferences.h.
#include "ui/preferences.h"

#include <QApplication>
#include <QPalette>
#include <QSettings>
#include <QStyle>
#include <QStyleFactory>

#include <algorithm>

namespace lwb::ui {

namespace {

const QString kTheme = QStringLiteral("preferences/theme");
const QString kRefresh = QStringLiteral("preferences/plotRefreshHz");
const QString kDevice = QStringLiteral("preferences/defaultDevice");
const QString kThreads = QStringLiteral("preferences/threads");

QPalette darkPalette()
{
    QPalette palette;
    const QColor window(45, 45, 48);
    const QColor base(30, 30, 32);
    const QColor text(225, 225, 225);
    const QColor disabled(128, 128, 128);
    palette.setColor(QPalette::Window, window);
    palette.setColor(QPalette::WindowText, text);
    palette.setColor(QPalette::Base, base);
    palette.setColor(QPalette::AlternateBase, window);
    palette.setColor(QPalette::ToolTipBase, base);
    palette.setColor(QPalette::ToolTipText, text);
    palette.setColor(QPalette::PlaceholderText, disabled);
    palette.setColor(QPalette::Text, text);
    palette.setColor(QPalette::Button, window);
    palette.setColor(QPalette::ButtonText, text);
    palette.setColor(QPalette::BrightText, Qt::red);
    palette.setColor(QPalette::Link, QColor(86, 156, 214));
    palette.setColor(QPalette::Highlight, QColor(38, 79, 120));
    palette.setColor(QPalette::HighlightedText, Qt::white);
    for (auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        palette.setColor(QPalette::Disabled, role, disabled);
    return palette;
}

} // namespace

Preferences Preferences::load()
{
    const QSettings settings;
    Preferences preferences;
    const QString theme = settings.value(kTheme, preferences.theme).toString();
    if (theme == QLatin1String("light") || theme == QLatin1String("dark") || theme == QLatin1String("system"))
        preferences.theme = theme;
    preferences.plotRefreshHz
        = std::clamp(settings.value(kRefresh, preferences.plotRefreshHz).toInt(), kMinRefreshHz, kMaxRefreshHz);
    preferences.defaultDevice = settings.value(kDevice, preferences.defaultDevice).toString();
    preferences.threads = std::max(0, settings.value(kThreads, preferences.threads).toInt());
    return preferences;
}

void Preferences::save() const
{
    QSettings settings;
    settings.setValue(kTheme, theme);
    settings.setValue(kRefresh, plotRefreshHz);
    settings.setValue(kDevice, defaultDevice);
    settings.setValue(kThreads, threads);
}

bool Preferences::operator==(const Preferences &other) const
{
    return theme == other.theme && plotRefreshHz == other.plotRefreshHz && defaultDevice == other.defaultDevice
           && threads == other.threads;
}

void applyTheme(const QString &theme)
{
    // The platform's own style, remembered before the first switch away from it.
    static const QString systemStyle = QApplication::style()->name();
    if (theme == QLatin1String("dark") || theme == QLatin1String("light")) {
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
        QApplication::setPalette(theme == QLatin1String("dark") ? darkPalette()
                                                                : QApplication::style()->standardPalette());
    } else {
        QApplication::setStyle(QStyleFactory::create(systemStyle));
        QApplication::setPalette(QPalette()); // back to the platform's palette
    }
}

} // namespace lwb::ui
