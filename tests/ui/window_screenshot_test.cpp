// WindowScreenshot waits for the window's run store thread: with a store task
// held by a latch in the test, the picture waits (waitingForStore, no file),
// and once the task is released it is taken; with the cap at zero the picture
// is taken while the task is still held. Waits on signals, never on a time.
#include "ui/store_worker.h"
#include "ui/window_screenshot.h"

#include "user_data_isolation.h"

#include <QFile>
#include <QImage>
#include <QLabel>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QVBoxLayout>
#include <QtTest>

#include <future>

using lwb::ui::StoreOutcome;
using lwb::ui::StoreTaskControl;
using lwb::ui::StoreWorker;
using lwb::ui::WindowScreenshot;

namespace {

// A store task that runs until release() (and at the latest when the holder
// goes, so a failing test never leaves the store thread waiting).
class HeldTask
{
public:
    explicit HeldTask(StoreWorker &store)
    {
        store.run<int>(
            &store,
            [gate = gate_.get_future().share()](lwb::storage::RunStore &, const StoreTaskControl &) {
                gate.wait();
                return 0;
            },
            [](StoreOutcome<int>) {});
    }
    ~HeldTask() { release(); }
    void release()
    {
        if (!released_)
            gate_.set_value();
        released_ = true;
    }

private:
    std::promise<void> gate_;
    bool released_ = false;
};

} // namespace

class WindowScreenshotTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(userData_.isValid());
        lwb::ui::test::keepUserDataIn(userData_);
    }

    void init()
    {
        window_ = std::make_unique<QWidget>();
        auto *layout = new QVBoxLayout(window_.get());
        layout->addWidget(new QLabel(QStringLiteral("Reading 8 runs…")));
        window_->resize(320, 200);
        store_ = new StoreWorker(window_.get()); // found among the window's children
        store_->setPath(dir_.filePath(QStringLiteral("runs.db")));
        window_->show();
    }
    void cleanup() { window_.reset(); }

    void waitsForThePendingStoreTask()
    {
        const QString path = dir_.filePath(QStringLiteral("held.png"));
        HeldTask held(*store_);
        WindowScreenshot shot(window_.get(), nullptr, path, 0, false);
        QSignalSpy waiting(&shot, &WindowScreenshot::waitingForStore);
        QSignalSpy saved(&shot, &WindowScreenshot::saved);
        shot.takeSoon();
        QVERIFY(waiting.wait(10000));
        QCOMPARE(waiting.front().front().toInt(), 1);
        QCOMPARE(saved.count(), 0);
        QVERIFY(!QFile::exists(path));

        held.release();
        QVERIFY(saved.wait(10000));
        QCOMPARE(saved.count(), 1);
        QVERIFY(saved.front().at(1).toBool());
        QCOMPARE(store_->pendingTasks(), 0);
        const QImage picture(path);
        QCOMPARE(picture.size(), window_->size() * window_->devicePixelRatio());
    }

    void takesThePictureAnywayAtTheCap()
    {
        const QString path = dir_.filePath(QStringLiteral("capped.png"));
        HeldTask held(*store_);
        WindowScreenshot shot(window_.get(), nullptr, path, 0, false);
        shot.setMaxStoreWaitMs(0);
        QSignalSpy saved(&shot, &WindowScreenshot::saved);
        shot.takeSoon();
        QVERIFY(saved.wait(10000));
        QVERIFY(saved.front().at(1).toBool());
        QCOMPARE(store_->pendingTasks(), 1); // still held: taken at the cap, not after the task
        QVERIFY(!QImage(path).isNull());
    }

private:
    QTemporaryDir userData_;
    QTemporaryDir dir_;
    std::unique_ptr<QWidget> window_;
    StoreWorker *store_ = nullptr;
};

QTEST_MAIN(WindowScreenshotTest)
#include "window_screenshot_test.moc"
