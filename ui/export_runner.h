// ExportRunner: one adapter export (engine/export/run_export.h) on a thread of
// its own, so that writing a merged model of gigabytes never freezes the
// window. The outcome comes back as a queued signal on the GUI thread.
//
// This header is torch-free; export_runner.cpp is the third GUI-side file
// that includes LibTorch (with engine_catalog.cpp and train_worker.cpp).
#pragma once

#include "engine/export/export_request.h"
#include "engine/export/export_result.h"

#include <QObject>
#include <QString>

#include <memory>

class QThread;

namespace lwb::ui {

class ExportRunner : public QObject
{
    Q_OBJECT

public:
    explicit ExportRunner(QObject *parent = nullptr);
    ~ExportRunner() override; // waits for a running export: files are never left half-written

    // False when an export is already running.
    bool start(const lwb::RunExportRequest &request);
    bool isRunning() const;

Q_SIGNALS:
    void succeeded(const lwb::ExportResult &result);
    void failed(const QString &message);

private:
    std::unique_ptr<QThread> thread_;
};

} // namespace lwb::ui

Q_DECLARE_METATYPE(lwb::ExportResult)
