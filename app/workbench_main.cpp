// lora-workbench: the GUI. Wiring only — parse the command line, make the
// main window, optionally load a config, start it and take a screenshot.
//
//   lora-workbench [--config FILE] [--db FILE] [--start]
//                  [--screenshot PNG [--screenshot-step N] [--quit-after-screenshot]]
//                  [--compare ID,ID,...] [--show-runs] [--show-settings] [--study ID [--ask PROMPT]]
//                  [--study-view ID] [--new-study] [--playground ID[,ID] [--ask PROMPT]]
//
// --start with --screenshot is how resources/screenshots/main_window_sira_training.png
// is made under Xvfb (see ui/README.md).
#include "ui/dlp_view.h"
#include "ui/main_window.h"
#include "ui/playground_view.h"
#include "ui/run_form.h"
#include "ui/study_view.h"
#include "ui/window_screenshot.h"

#include <QAction>
#include <QApplication>
#include <QCommandLineParser>
#include <QFile>
#include <QPushButton>
#include <QTabWidget>
#include <QTimer>

#include <nlohmann/json.hpp>

#include <cstdio>

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("lora-workbench"));
    QApplication::setApplicationName(QStringLiteral("lora-workbench"));
    QApplication::setApplicationDisplayName(QStringLiteral("LoRA Workbench"));
    QApplication::setApplicationVersion(QStringLiteral(LWB_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Configure, train and watch LoRA adapters."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption configOption(
        QStringLiteral("config"), QStringLiteral("Load this run config into the form."), QStringLiteral("FILE"));
    const QCommandLineOption dbOption(QStringLiteral("db"),
                                      QStringLiteral("Run store file (default: LWB_DB, else the XDG data dir)."),
                                      QStringLiteral("FILE"));
    const QCommandLineOption startOption(QStringLiteral("start"), QStringLiteral("Start the run right away."));
    const QCommandLineOption screenshotOption(QStringLiteral("screenshot"),
                                              QStringLiteral("Save a picture of the window during the run."),
                                              QStringLiteral("PNG"));
    const QCommandLineOption stepOption(QStringLiteral("screenshot-step"),
                                        QStringLiteral("Take the screenshot once this step is reached (default 150)."),
                                        QStringLiteral("N"), QStringLiteral("150"));
    const QCommandLineOption quitOption(QStringLiteral("quit-after-screenshot"),
                                        QStringLiteral("Close the window (stopping the run) after the screenshot."));
    const QCommandLineOption compareOption(QStringLiteral("compare"),
                                           QStringLiteral("Open the compare view on these run ids (comma-separated)."),
                                           QStringLiteral("IDS"));
    const QCommandLineOption runsOption(QStringLiteral("show-runs"), QStringLiteral("Raise the run browser."));
    const QCommandLineOption settingsOption(QStringLiteral("show-settings"), QStringLiteral("Open File > Settings."));
    const QCommandLineOption studyOption(
        QStringLiteral("study"), QStringLiteral("Open the DLP-LoRA tab on this recorded study."), QStringLiteral("id"));
    const QCommandLineOption askOption(QStringLiteral("ask"),
                                       QStringLiteral("With --study or --playground: ask this prompt in the "
                                                      "playground (a screenshot waits for the answer)."),
                                       QStringLiteral("prompt"));
    const QCommandLineOption newStudyOption(
        QStringLiteral("new-study"),
        QStringLiteral("Open the study editor (Studies > New study…) on the form's config."));
    const QCommandLineOption studyViewOption(
        QStringLiteral("study-view"),
        QStringLiteral("Show the recorded study (lorawb study) with this id in the "
                       "Studies tab."),
        QStringLiteral("id"));
    const QCommandLineOption playgroundOption(QStringLiteral("playground"),
                                              QStringLiteral("Open the Playground tab on this run, or two runs side by "
                                                             "side (comma-separated ids)."),
                                              QStringLiteral("IDS"));
    parser.addOptions({configOption, dbOption, startOption, screenshotOption, stepOption, quitOption, compareOption,
                       runsOption, settingsOption, studyOption, askOption, studyViewOption, newStudyOption,
                       playgroundOption});
    parser.process(app);

    lwb::ui::MainWindow window(parser.value(dbOption));
    if (parser.isSet(configOption)) {
        QFile file(parser.value(configOption));
        if (!file.open(QIODevice::ReadOnly)) {
            std::fprintf(stderr, "lora-workbench: cannot read %s\n", qPrintable(file.fileName()));
            return 2;
        }
        const QByteArray bytes = file.readAll();
        auto document = nlohmann::json::parse(bytes.constBegin(), bytes.constEnd(), nullptr, false);
        if (document.is_discarded()) {
            std::fprintf(stderr, "lora-workbench: %s is not valid JSON\n", qPrintable(file.fileName()));
            return 2;
        }
        window.runForm()->setDocument(document);
    }
    if (parser.isSet(compareOption)) {
        QVector<qint64> ids;
        for (const QString &id : parser.value(compareOption).split(QLatin1Char(','), Qt::SkipEmptyParts))
            ids << id.trimmed().toLongLong();
        window.compareRuns(ids);
    }
    if (parser.isSet(runsOption))
        window.showRunBrowser();
    if (parser.isSet(studyViewOption)) {
        window.findChild<QTabWidget *>(QStringLiteral("centralTabs"))->setCurrentWidget(window.studyView());
        window.studyView()->showStudy(parser.value(studyViewOption).toLongLong());
    }
    if (parser.isSet(newStudyOption)) {
        window.findChild<QTabWidget *>(QStringLiteral("centralTabs"))->setCurrentWidget(window.studyView());
        QTimer::singleShot(0, &window, [&window] { window.studyView()->newStudyButton()->click(); });
    }
    if (parser.isSet(settingsOption))
        QTimer::singleShot(0, &window,
                           [&window] { window.findChild<QAction *>(QStringLiteral("settingsAction"))->trigger(); });
    lwb::ui::WindowScreenshot *screenshot = nullptr;
    if (parser.isSet(screenshotOption)) {
        screenshot
            = new lwb::ui::WindowScreenshot(&window, window.jobController(), parser.value(screenshotOption),
                                            parser.value(stepOption).toLongLong(), parser.isSet(quitOption), &window);
    }
    window.show();
    const bool playground = parser.isSet(playgroundOption);
    const bool asking = (parser.isSet(studyOption) || playground) && parser.isSet(askOption);
    if (playground) {
        QVector<qint64> ids;
        for (const QString &id : parser.value(playgroundOption).split(QLatin1Char(','), Qt::SkipEmptyParts))
            ids << id.trimmed().toLongLong();
        window.openPlayground(ids);
        if (asking) {
            if (screenshot != nullptr)
                QObject::connect(window.playgroundView(), &lwb::ui::PlaygroundView::answersDone, screenshot,
                                 &lwb::ui::WindowScreenshot::takeSoon);
            window.playgroundView()->askPrompt(parser.value(askOption));
        }
    }
    if (parser.isSet(studyOption) && !playground) {
        window.showStudy(parser.value(studyOption).toLongLong());
        if (asking) { // a study answers in the playground (its DLP-LoRA mode)
            window.openPlayground({parser.value(studyOption).toLongLong()});
            if (screenshot != nullptr)
                QObject::connect(window.playgroundView(), &lwb::ui::PlaygroundView::answersDone, screenshot,
                                 &lwb::ui::WindowScreenshot::takeSoon);
            window.playgroundView()->askPrompt(parser.value(askOption));
        }
    }
    if (screenshot != nullptr && !parser.isSet(startOption) && !asking)
        screenshot->takeSoon();
    if (parser.isSet(startOption)) {
        if (!window.runForm()->isValid())
            std::fprintf(stderr, "lora-workbench: not starting; the config has problems:\n  %s\n",
                         qPrintable(window.runForm()->problems().join(QStringLiteral("\n  "))));
        QTimer::singleShot(0, &window, &lwb::ui::MainWindow::startJob);
    }
    return QApplication::exec();
}
