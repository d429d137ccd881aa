// Helpers for driving the window as a person does: find a form field's
// editor by its config path (each editor's objectName), type into it, answer
// a confirmation box.
#pragma once

#include <QAbstractSpinBox>
#include <QApplication>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QTimer>
#include <QtTest>

namespace lwb::ui::test {

// The editor of the field at `path` ("training.steps") inside `root`; a test
// that names a field the form does not have stops at once.
template <typename T> T *editorIn(QObject *root, const char *path)
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

// Answers the next modal message box with `button` once it is shown.
inline void answerNextMessageBox(QMessageBox::StandardButton button)
{
    QTimer::singleShot(0, [button] {
        auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
        QVERIFY(box != nullptr);
        box->button(button)->click();
    });
}

} // namespace lwb::ui::test
