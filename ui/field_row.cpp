// See field_row.h.
#include "ui/field_row.h"

#include <QLabel>
#include <QVBoxLayout>

namespace lwb::ui {

FieldRow::FieldRow(QWidget *editor, const QString &tooltip, QWidget *parent)
    : QWidget(parent)
    , editor_(editor)
    , errorLabel_(new QLabel(this))
    , tooltip_(tooltip)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(editor_);
    layout->addWidget(errorLabel_);

    editor_->setToolTip(tooltip_);
    // The same red in light and dark palettes reads as "error"; the text stays
    // selectable so a reason can be copied into a bug report.
    errorLabel_->setObjectName(QStringLiteral("fieldError"));
    errorLabel_->setStyleSheet(QStringLiteral("color: #d62728;"));
    errorLabel_->setWordWrap(true);
    errorLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    errorLabel_->hide();
}

void FieldRow::setError(const QString &reason)
{
    if (reason == error_)
        return;
    error_ = reason;
    errorLabel_->setText(reason);
    errorLabel_->setVisible(true);
    editor_->setToolTip(QStringLiteral("<b>%1</b><br>%2").arg(reason.toHtmlEscaped(), tooltip_));
    editor_->setProperty("invalid", true);
    markEditor(true);
}

void FieldRow::clearError()
{
    if (error_.isEmpty())
        return;
    error_.clear();
    errorLabel_->clear();
    errorLabel_->hide();
    editor_->setToolTip(tooltip_);
    editor_->setProperty("invalid", false);
    markEditor(false);
}

void FieldRow::markEditor(bool invalid)
{
    // The style sheet is set only while the field is invalid: an editor with
    // any style sheet is drawn by the style-sheet style, which would change
    // the look of every valid spin box as well.
    editor_->setStyleSheet(invalid ? QStringLiteral("border: 1px solid #d62728;") : QString());
}

} // namespace lwb::ui
