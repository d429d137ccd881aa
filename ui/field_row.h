// FieldRow: one editor of the run form with its validation message under it.
//
// The form maps each JSON path ("training.lr") to a FieldRow; when validation
// reports a problem at that path, the row shows the reason in red under the
// editor, marks the editor (a red frame; its "invalid" property is true) and
// puts the reason in the editor's tooltip; clearError() restores the
// explanatory tooltip. Rows without a problem take no extra space.
#pragma once

#include <QString>
#include <QWidget>

class QLabel;

namespace lwb::ui {

class FieldRow : public QWidget
{
    Q_OBJECT

public:
    // Takes ownership of editor; tooltip explains the field (shown on hover).
    FieldRow(QWidget *editor, const QString &tooltip, QWidget *parent = nullptr);

    QWidget *editor() const { return editor_; }
    void setError(const QString &reason);
    void clearError();
    bool hasError() const { return !error_.isEmpty(); }
    const QString &error() const { return error_; }
    QLabel *errorLabel() const { return errorLabel_; }

private:
    void markEditor(bool invalid);

    QWidget *editor_;
    QLabel *errorLabel_;
    QString tooltip_;
    QString error_;
};

} // namespace lwb::ui
