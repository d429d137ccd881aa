// See token_stream_view.h.
#include "ui/token_stream_view.h"

#include <QAbstractTextDocumentLayout>
#include <QHelpEvent>
#include <QMouseEvent>
#include <QScrollBar>
#include <QTextBlock>
#include <QTextCursor>
#include <QTextLayout>
#include <QToolTip>

#include <algorithm>

namespace lwb::ui {

namespace {

constexpr int kTokenProperty = QTextFormat::UserProperty + 1; // the token's index + 1 (0: not a token)

QColor tintFor(double probability)
{
    // Orange with an alpha that grows as the model grows less sure.
    const int alpha = static_cast<int>(std::clamp(1.0 - probability, 0.0, 1.0) * 160.0);
    return QColor(255, 140, 0, alpha);
}

QString visible(const QString &text)
{
    QString shown = text;
    shown.replace(QLatin1Char('\n'), QStringLiteral("\\n"));
    return shown.isEmpty() ? QStringLiteral("(no text)") : shown;
}

} // namespace

QString probabilityText(double probability)
{
    return probability >= 0.001 ? QString::number(probability, 'f', 3) : QString::number(probability, 'g', 2);
}

TokenStreamView::TokenStreamView(QWidget *parent)
    : QTextEdit(parent)
{
    setReadOnly(true);
    setMouseTracking(true);
    setTextInteractionFlags(Qt::TextSelectableByMouse);
}

void TokenStreamView::clearTokens()
{
    clear();
    tokens_.clear();
    starts_.clear();
    selected_ = -1;
}

void TokenStreamView::appendContext(const QString &text)
{
    QTextCursor cursor(document());
    cursor.movePosition(QTextCursor::End);
    QTextCharFormat format;
    format.setForeground(palette().color(QPalette::PlaceholderText));
    cursor.insertText(text, format);
}

void TokenStreamView::appendToken(const PlaygroundToken &token)
{
    QTextCursor cursor(document());
    cursor.movePosition(QTextCursor::End);
    QTextCharFormat format;
    format.setBackground(tintFor(token.probability));
    format.setProperty(kTokenProperty, static_cast<int>(tokens_.size()) + 1);
    starts_.push_back(cursor.position());
    tokens_.push_back(token);
    cursor.insertText(token.text.isEmpty() ? QStringLiteral("\u00b7") : token.text, format);
    ensureCursorVisible();
}

int TokenStreamView::tokenAt(const QPoint &viewportPoint) const
{
    const QPointF point = viewportPoint + QPointF(horizontalScrollBar()->value(), verticalScrollBar()->value());
    // The character under the point (CursorOnCharacter), not the nearest gap
    // between two characters as the layout's hitTest gives.
    for (auto block = document()->begin(); block.isValid(); block = block.next()) {
        const QRectF blockRect = document()->documentLayout()->blockBoundingRect(block);
        if (!blockRect.contains(point))
            continue;
        const QTextLayout *layout = block.layout();
        const QPointF inBlock = point - blockRect.topLeft();
        for (int i = 0; i < layout->lineCount(); ++i) {
            const QTextLine line = layout->lineAt(i);
            if (!line.rect().contains(inBlock) || inBlock.x() > line.x() + line.naturalTextWidth())
                continue;
            QTextCursor cursor(document());
            cursor.setPosition(block.position() + line.xToCursor(inBlock.x(), QTextLine::CursorOnCharacter) + 1);
            const int index = cursor.charFormat().property(kTokenProperty).toInt() - 1;
            return index >= 0 && index < tokens_.size() ? index : -1;
        }
    }
    return -1;
}

QRect TokenStreamView::tokenRect(int index) const
{
    QTextCursor cursor(document());
    cursor.setPosition(starts_.at(index));
    const QRect before = cursorRect(cursor);
    cursor.setPosition(starts_.at(index) + 1);
    const QRect after = cursorRect(cursor);
    return QRect(before.topLeft(), QPoint(std::max(after.left(), before.left() + 1), before.bottom()));
}

QString TokenStreamView::tokenSummary(int index) const
{
    const auto &token = tokens_.at(index);
    QStringList lines;
    lines << tr("token %1: \"%2\" (id %3)").arg(index + 1).arg(visible(token.text)).arg(token.id);
    // The model's own belief, then the chance the sampling rule drew it with
    // (temperature, top-k, top-p, penalty applied and renormalised; 1 when greedy).
    lines << tr("p = %1 model, %2 under the sampling rule")
                 .arg(probabilityText(token.probability), probabilityText(token.ruleProbability));
    QStringList alternatives;
    for (const auto &alternative : token.alternatives)
        alternatives
            << QStringLiteral("\"%1\" %2").arg(visible(alternative.text), probabilityText(alternative.probability));
    if (!alternatives.isEmpty())
        lines << tr("likeliest (model): %1").arg(alternatives.join(QStringLiteral(", ")));
    QStringList fused;
    for (const auto &lora : token.fusion)
        fused << QStringLiteral("%1 %2").arg(lora.task, QString::number(lora.weight, 'f', 3));
    if (!fused.isEmpty())
        lines << tr("fused task LoRAs: %1").arg(fused.join(QStringLiteral(", ")));
    return lines.join(QLatin1Char('\n'));
}

QString TokenStreamView::tokenToolTip(int index) const
{
    const auto &token = tokens_.at(index);
    QStringList lines{tokenSummary(index)};
    constexpr int kLayersShown = 6; // the details panel lists every layer
    for (int i = 0; i < token.experts.size() && i < kLayersShown; ++i) {
        QStringList experts;
        for (const auto expert : token.experts[i].experts)
            experts << QString::number(expert);
        lines << QStringLiteral("%1: experts %2").arg(token.experts[i].layer, experts.join(QLatin1Char(',')));
    }
    if (token.experts.size() > kLayersShown)
        lines << tr("... %1 more layers (click the token)").arg(token.experts.size() - kLayersShown);
    return lines.join(QLatin1Char('\n'));
}

void TokenStreamView::selectToken(int index)
{
    if (index < 0 || index >= tokens_.size())
        return;
    selected_ = index;
    QTextEdit::ExtraSelection mark;
    mark.cursor = QTextCursor(document());
    mark.cursor.setPosition(starts_.at(index));
    mark.cursor.setPosition(index + 1 < starts_.size() ? starts_.at(index + 1) : document()->characterCount() - 1,
                            QTextCursor::KeepAnchor);
    mark.format.setFontUnderline(true);
    mark.format.setUnderlineStyle(QTextCharFormat::SingleUnderline);
    mark.format.setForeground(palette().color(QPalette::Highlight));
    setExtraSelections({mark});
    Q_EMIT tokenSelected(index);
}

bool TokenStreamView::viewportEvent(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        const int index = tokenAt(help->pos());
        if (index >= 0)
            QToolTip::showText(help->globalPos(), tokenToolTip(index), viewport(), tokenRect(index));
        else
            QToolTip::hideText();
        return true;
    }
    return QTextEdit::viewportEvent(event);
}

void TokenStreamView::mousePressEvent(QMouseEvent *event)
{
    QTextEdit::mousePressEvent(event);
    const int index = tokenAt(event->position().toPoint());
    if (index >= 0)
        selectToken(index);
}

} // namespace lwb::ui
