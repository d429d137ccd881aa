// ValidationSummary: every problem of the run form in one place that stays
// in view (the window puts it above Start, outside the form's scroll area),
// so a disabled Start always says why. A problem whose key has a field in the
// form is a link: activating it scrolls to the field and focuses its editor.
#pragma once

#include <QLabel>
#include <QString>
#include <QVector>

namespace lwb::ui {

struct ConfigProblem
{
    QString path;    // JSON path, e.g. "training.lr"
    QString reason;  // what is wrong and what is expected
    QString label{}; // the form field showing that key ("Learning rate"); empty: none does
};

class ValidationSummary : public QLabel
{
    Q_OBJECT

public:
    explicit ValidationSummary(QWidget *parent = nullptr);

    // valid: the config can start (problems are then notes about a loaded file).
    void showProblems(const QVector<ConfigProblem> &problems, bool valid);

Q_SIGNALS:
    void fieldActivated(const QString &path);
};

} // namespace lwb::ui
