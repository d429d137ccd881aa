// See validation_summary.h.
#include "ui/validation_summary.h"

#include <QStringList>

namespace lwb::ui {

ValidationSummary::ValidationSummary(QWidget *parent)
    : QLabel(parent)
{
    setObjectName(QStringLiteral("formMessages"));
    setWordWrap(true);
    setTextFormat(Qt::RichText);
    setTextInteractionFlags(Qt::TextBrowserInteraction);
    setOpenExternalLinks(false);
    connect(this, &QLabel::linkActivated, this, &ValidationSummary::fieldActivated);
}

void ValidationSummary::showProblems(const QVector<ConfigProblem> &problems, bool valid)
{
    if (problems.isEmpty()) {
        setText(valid ? tr("The configuration is valid.") : QString());
        return;
    }
    QStringList items;
    for (const auto &problem : problems) {
        const QString reason = problem.reason.toHtmlEscaped();
        if (!problem.label.isEmpty())
            items << QStringLiteral("<a href=\"%1\">%2</a>: %3")
                         .arg(problem.path.toHtmlEscaped(), problem.label.toHtmlEscaped(), reason);
        else if (!problem.path.isEmpty())
            items << QStringLiteral("<code>%1</code>: %2").arg(problem.path.toHtmlEscaped(), reason);
        else
            items << reason;
    }
    const QString heading
        = valid ? QStringLiteral("<b>%1</b>").arg(tr("Notes on the loaded config:"))
                : QStringLiteral("<span style='color:#d62728'><b>%1</b></span>")
                      .arg(tr("Start is disabled: %n problem(s) to fix.", nullptr, static_cast<int>(problems.size())));
    setText(QStringLiteral("%1<ul style='margin-left:0; -qt-list-indent:1'><li>%2</li></ul>")
                .arg(heading, items.join(QStringLiteral("</li><li>"))));
}

} // namespace lwb::ui
