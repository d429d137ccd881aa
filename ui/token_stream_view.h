// TokenStreamView: a generated answer shown token by token, as it streams.
// Each token keeps what the playground worker reported about it (the
// model's probability and the sampling rule's, alternatives, SiRA experts,
// DLP-LoRA's fused task LoRAs); its background is tinted by how sure the
// model was (clear at p = 1, orange towards p = 0), hovering it shows a
// tooltip with the figures, and clicking it selects it (tokenSelected).
//
// The text is a QTextDocument; every token's characters carry its index as a
// char-format property, so a point maps back to a token by the layout's exact
// hit test (no guess from the nearest cursor position).
#pragma once

#include "ui/playground_worker.h"

#include <QTextEdit>
#include <QVector>

namespace lwb::ui {

class TokenStreamView : public QTextEdit
{
    Q_OBJECT

public:
    explicit TokenStreamView(QWidget *parent = nullptr);

    void clearTokens();
    void appendToken(const PlaygroundToken &token);
    // Plain text before the answer's tokens (the prompt, a chat's turns), not selectable.
    void appendContext(const QString &text);

    int tokenCount() const { return tokens_.size(); }
    const PlaygroundToken &token(int index) const { return tokens_.at(index); }
    // The token under a viewport point; -1 for none.
    int tokenAt(const QPoint &viewportPoint) const;
    // Where a token is drawn, in viewport coordinates (tests aim at it).
    QRect tokenRect(int index) const;
    // What hovering the token shows: its summary, then SiRA's first layers.
    QString tokenToolTip(int index) const;
    // The token, the model's and the rule's probability, the likeliest
    // alternatives and DLP-LoRA's fused set, one per line.
    QString tokenSummary(int index) const;
    int selectedToken() const { return selected_; }
    void selectToken(int index);

Q_SIGNALS:
    void tokenSelected(int index);

protected:
    bool viewportEvent(QEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;

private:
    QVector<PlaygroundToken> tokens_;
    QVector<int> starts_; // document position of each token's first character
    int selected_ = -1;
};

// "0.734" / "3.2e-05": a probability readable at any size.
QString probabilityText(double probability);

} // namespace lwb::ui
