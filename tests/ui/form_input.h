// Helpers for driving the run form as a person does: find a field's editor
// by its config path (each editor's objectName) and type into it.
#pragma once

#include <QAbstractSpinBox>
#include <QLineEdit>
#include <QtTest>

namespace lwb::ui::test {

// The editor of the field at `path` ("training.steps") inside `root`; a test
// that names a field the form does not have stops at once.
template <typename T>
T *editorIn(QObject *root, const char *path)
{
    auto *widget = root->findChild<T *>(QString::fromLatin1(path));
    if (!widget)
        qFatal("no editor %s", path);
    return widget;
}

inline void typeInto(QLineEdit *edit, const QString &text)
{
    edit->selectAll();
    QTest::keyClicks(edit, text);
}

inline void typeInto(QAbstractSpinBox *spin, const QString &text)
{
    spin->selectAll();
    QTest::keyClicks(spin, text);
}

inline void typeInto(QAbstractSpinBox *spin, int value)
{
    typeInto(spin, QString::number(value));
}

} // namespace lwb::ui::test
