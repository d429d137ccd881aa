// FaultVfs: an SQLite VFS for tests that wraps the platform's own and can
// make every later write fail as a read-only file system or a full disk would,
// at a moment the test chooses — in the middle of a run, which neither chmod
// (an open descriptor keeps its rights, and root ignores them) nor a file-size
// limit can place so precisely.
//
// install() registers it as the default VFS, so every connection the process
// opens afterwards (RunStore, RunRecorder's) goes through it. Reads, locks and
// the WAL index (shared memory) always pass through; with a fault set, xWrite
// and xTruncate return SQLITE_READONLY or SQLITE_FULL without touching the
// file, as SQLite's unix VFS does when the OS refuses the write. Clearing the
// fault is "space was freed / the file is writable again".
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <cstring>

namespace lwb::storage::test {

enum class WriteFault { None, ReadOnly, DiskFull };

class FaultVfs
{
public:
    static void install()
    {
        static bool installed = false;
        if (installed)
            return;
        installed = true;
        real() = sqlite3_vfs_find(nullptr);
        static sqlite3_vfs vfs = *real();
        vfs.zName = "lwb-fault";
        vfs.szOsFile = static_cast<int>(sizeof(File)) + real()->szOsFile;
        vfs.xOpen = &open;
        vfs.pNext = nullptr;
        sqlite3_vfs_register(&vfs, /*makeDflt=*/1);
    }

    static void setFault(WriteFault fault) { fault_().store(fault); }

private:
    // Our file header, then the real VFS's file in the same allocation.
    struct File
    {
        sqlite3_file base;
        sqlite3_file *real;
    };

    static sqlite3_vfs *&real()
    {
        static sqlite3_vfs *vfs = nullptr;
        return vfs;
    }
    static std::atomic<WriteFault> &fault_()
    {
        static std::atomic<WriteFault> fault{WriteFault::None};
        return fault;
    }
    static int faultCode()
    {
        switch (fault_().load()) {
        case WriteFault::ReadOnly:
            return SQLITE_READONLY;
        case WriteFault::DiskFull:
            return SQLITE_FULL;
        case WriteFault::None:
            break;
        }
        return SQLITE_OK;
    }
    static sqlite3_file *inner(sqlite3_file *file) { return reinterpret_cast<File *>(file)->real; }

    static int open(sqlite3_vfs *, sqlite3_filename name, sqlite3_file *file, int flags, int *outFlags)
    {
        auto *ours = reinterpret_cast<File *>(file);
        std::memset(ours, 0, sizeof(File));
        ours->real = reinterpret_cast<sqlite3_file *>(reinterpret_cast<char *>(file) + sizeof(File));
        const int rc = real()->xOpen(real(), name, ours->real, flags, outFlags);
        if (rc != SQLITE_OK || ours->real->pMethods == nullptr)
            return rc; // base.pMethods stays null: SQLite will not call xClose
        static const sqlite3_io_methods kMethods = makeMethods();
        ours->base.pMethods = &kMethods;
        return SQLITE_OK;
    }

    static sqlite3_io_methods makeMethods()
    {
        sqlite3_io_methods m{};
        m.iVersion = 3;
        m.xClose = [](sqlite3_file *f) { return inner(f)->pMethods->xClose(inner(f)); };
        m.xRead = [](sqlite3_file *f, void *data, int amount, sqlite3_int64 offset) {
            return inner(f)->pMethods->xRead(inner(f), data, amount, offset);
        };
        m.xWrite = [](sqlite3_file *f, const void *data, int amount, sqlite3_int64 offset) {
            if (const int code = faultCode())
                return code;
            return inner(f)->pMethods->xWrite(inner(f), data, amount, offset);
        };
        m.xTruncate = [](sqlite3_file *f, sqlite3_int64 size) {
            if (const int code = faultCode())
                return code;
            return inner(f)->pMethods->xTruncate(inner(f), size);
        };
        m.xSync = [](sqlite3_file *f, int flags) { return inner(f)->pMethods->xSync(inner(f), flags); };
        m.xFileSize
            = [](sqlite3_file *f, sqlite3_int64 *size) { return inner(f)->pMethods->xFileSize(inner(f), size); };
        m.xLock = [](sqlite3_file *f, int lock) { return inner(f)->pMethods->xLock(inner(f), lock); };
        m.xUnlock = [](sqlite3_file *f, int lock) { return inner(f)->pMethods->xUnlock(inner(f), lock); };
        m.xCheckReservedLock
            = [](sqlite3_file *f, int *out) { return inner(f)->pMethods->xCheckReservedLock(inner(f), out); };
        m.xFileControl
            = [](sqlite3_file *f, int op, void *arg) { return inner(f)->pMethods->xFileControl(inner(f), op, arg); };
        m.xSectorSize = [](sqlite3_file *f) { return inner(f)->pMethods->xSectorSize(inner(f)); };
        m.xDeviceCharacteristics = [](sqlite3_file *f) { return inner(f)->pMethods->xDeviceCharacteristics(inner(f)); };
        m.xShmMap = [](sqlite3_file *f, int region, int size, int extend, void volatile **out) {
            return inner(f)->pMethods->xShmMap(inner(f), region, size, extend, out);
        };
        m.xShmLock = [](sqlite3_file *f, int offset, int n, int flags) {
            return inner(f)->pMethods->xShmLock(inner(f), offset, n, flags);
        };
        m.xShmBarrier = [](sqlite3_file *f) { inner(f)->pMethods->xShmBarrier(inner(f)); };
        m.xShmUnmap
            = [](sqlite3_file *f, int deleteFlag) { return inner(f)->pMethods->xShmUnmap(inner(f), deleteFlag); };
        m.xFetch = [](sqlite3_file *f, sqlite3_int64 offset, int amount, void **out) {
            return inner(f)->pMethods->xFetch(inner(f), offset, amount, out);
        };
        m.xUnfetch = [](sqlite3_file *f, sqlite3_int64 offset, void *p) {
            return inner(f)->pMethods->xUnfetch(inner(f), offset, p);
        };
        return m;
    }
};

} // namespace lwb::storage::test
