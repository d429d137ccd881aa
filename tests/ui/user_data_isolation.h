// Keeps a GUI test away from the user's files: the XDG data and config
// folders and the QSettings store go under a temporary directory (set before
// any window exists). The run store (LWB_DB) is each test's own choice.
#pragma once

#include <QCoreApplication>
#include <QSettings>
#include <QTemporaryDir>

namespace lwb::ui::test {

inline void keepUserDataIn(const QTemporaryDir &dir)
{
    qputenv("XDG_DATA_HOME", dir.filePath(QStringLiteral("data")).toUtf8());
    qputenv("XDG_CONFIG_HOME", dir.filePath(QStringLiteral("config")).toUtf8());
    QCoreApplication::setOrganizationName(QStringLiteral("lwb-test"));
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, dir.filePath(QStringLiteral("config")));
}

} // namespace lwb::ui::test
