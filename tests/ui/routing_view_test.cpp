// RoutingView: a LoRA run shows the placeholder, not empty axes; a SiRA run's
// steps fill the expert-load heatmap (layers x experts, the latest step) and
// the entropy and dropped-fraction curves (means over layers), and the
// heatmap's cells hold exactly the reported shares.
#include "ui/routing_view.h"

#include <qcustomplot.h>

#include <QtTest>

#include <cmath>

using lwb::ui::RoutingView;

namespace {

lwb::StepMetrics siraStep(std::int64_t step, float skew)
{
    lwb::StepMetrics metrics;
    metrics.step = step;
    metrics.totalSteps = 100;
    for (int l = 0; l < 3; ++l) {
        lwb::LayerRoutingStats layer;
        layer.layer = "transformer.h." + std::to_string(l) + ".attn.c_attn";
        layer.expertLoad = {0.25f + skew, 0.25f - skew, 0.25f, 0.25f};
        layer.routingEntropy = 1.0 + 0.1 * l;
        layer.meanRoutingEntropy = 1.3;
        layer.routedTokens = 1000;
        layer.droppedTokens = 10 * (l + 1);
        metrics.adapter.layers.push_back(layer);
    }
    return metrics;
}

} // namespace

class RoutingViewTest : public QObject
{
    Q_OBJECT

private slots:
    void loraRunShowsWhyThereIsNothing()
    {
        RoutingView view;
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.startRun(100, QStringLiteral("lora"));
        lwb::StepMetrics plain;
        plain.step = 1;
        view.addStep(plain);
        QTest::qWait(80);
        QVERIFY(view.showsPlaceholder());
        QCOMPARE(view.layerCount(), 0);
        QVERIFY(!view.heatmapPlot()->isVisible());
    }

    void siraStepsFillHeatmapAndCurves()
    {
        RoutingView view;
        view.resize(420, 520);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.startRun(100, QStringLiteral("sira"));
        QVERIFY(view.showsPlaceholder()); // until the first step
        view.addStep(siraStep(1, 0.0f));
        view.addStep(siraStep(2, 0.15f));
        QTRY_VERIFY(!view.showsPlaceholder());
        QVERIFY(view.heatmapPlot()->isVisible());
        QCOMPARE(view.layerCount(), 3);
        QCOMPARE(view.expertCount(), 4);
        QCOMPARE(view.load(2, 0), double(0.25f + 0.15f)); // the latest step
        QCOMPARE(view.load(2, 1), double(0.25f - 0.15f));
        QCOMPARE(view.entropySeries().sampleCount(), std::int64_t{2});
        QCOMPARE(view.entropySeries().points().last().y(), (1.0 + 1.1 + 1.2) / 3);
        QCOMPARE(view.meanEntropySeries().points().last().y(), 1.3);
        QCOMPARE(view.droppedSeries().points().last().y(), 60.0 / 3000.0);

        // The color map holds the same shares, row = layer, column = expert.
        auto *map = qobject_cast<QCPColorMap *>(view.heatmapPlot()->plottable(0));
        QVERIFY(map);
        QCOMPARE(map->data()->keySize(), 4);
        QCOMPARE(map->data()->valueSize(), 3);
        QCOMPARE(map->data()->cell(0, 1), double(0.25f + 0.15f));
        QCOMPARE(map->data()->cell(1, 2), double(0.25f - 0.15f));
        // The uniform reference line sits at log E.
        auto *uniform = view.entropyPlot()->graph(2);
        QCOMPARE(uniform->data()->at(0)->value, std::log(4.0));

        // An evaluation adds the task x expert matrix.
        QVERIFY(!view.taskPlot()->isVisible());
        lwb::EvalMetrics eval;
        eval.step = 2;
        eval.expertShareByTask = {{"first", {0.7, 0.1, 0.1, 0.1}}, {"upper", {0.0, 0.5, 0.5, 0.0}}};
        view.addEval(eval);
        QVERIFY(view.taskPlot()->isVisible());
        QCOMPARE(view.taskNames(), (QStringList{QStringLiteral("first"), QStringLiteral("upper")}));
        QCOMPARE(view.taskShare(0, 0), 0.7);
        QCOMPARE(view.taskShare(1, 2), 0.5);
        auto *taskMap = qobject_cast<QCPColorMap *>(view.taskPlot()->plottable(0));
        QCOMPARE(taskMap->data()->cell(1, 1), 0.5);

        // A new run starts empty.
        view.startRun(50, QStringLiteral("sira"));
        QCOMPARE(view.layerCount(), 0);
        QVERIFY(view.showsPlaceholder());
        QVERIFY(!view.taskPlot()->isVisible());
    }
};

QTEST_MAIN(RoutingViewTest)
#include "routing_view_test.moc"
