// SHA-256 (storage/sha256.h over OpenSSL) against the FIPS 180-2 / 180-4 NIST
// example vectors, plus what the wrapper adds: any split of a message into
// updates gives the digest of the whole (block and padding boundaries
// included), files are hashed in chunks with the same result as Python's
// hashlib, and misuse and unreadable files are reported.
#include "storage/sha256.h"

#include "engine/core/error.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <stdexcept>

using namespace lwb::storage;

class Sha256Test : public QObject
{
    Q_OBJECT

private slots:
    void knownVectors_data()
    {
        QTest::addColumn<QByteArray>("message");
        QTest::addColumn<QString>("digest");
        QTest::newRow("empty") << QByteArray() << "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        QTest::newRow("abc (FIPS 180-4 one block)")
            << QByteArray("abc") << "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        QTest::newRow("448 bits (FIPS 180-4 two blocks)")
            << QByteArray("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            << "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
        QTest::newRow("896 bits") << QByteArray(
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopq"
            "rsmnopqrstnopqrstu") << "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1";
        QTest::newRow("one million a") << QByteArray(1000000, 'a')
                                       << "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    }

    void knownVectors()
    {
        QFETCH(QByteArray, message);
        QFETCH(QString, digest);
        QCOMPARE(QString::fromStdString(sha256Hex(std::string_view(message.constData(), message.size()))), digest);
    }

    void anySplitGivesTheSameDigest()
    {
        // Lengths around the 55/56/64-byte padding boundaries, split every way in two.
        for (int length : {0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 200}) {
            std::string message;
            for (int i = 0; i < length; ++i)
                message.push_back(static_cast<char>('a' + (i * 7) % 26));
            const std::string whole = sha256Hex(message);
            for (int cut = 0; cut <= length; ++cut) {
                Sha256 hash;
                hash.update(std::string_view(message).substr(0, cut));
                hash.update(std::string_view(message).substr(cut));
                QCOMPARE(hash.finishHex(), whole);
            }
            Sha256 byteByByte;
            for (char c : message)
                byteByByte.update(&c, 1);
            QCOMPARE(byteByByte.finishHex(), whole);
        }
    }

    void fileSpanningSeveralChunksMatchesHashlib()
    {
        // 3 MiB + 17 bytes: three whole 1 MiB read chunks and a short tail.
        // Expected value: Python 3 hashlib.sha256(bytes(i % 251 for i in range(n))).
        QTemporaryDir dir;
        const std::string path = dir.filePath("large.bin").toStdString();
        const int size = 3 * (1 << 20) + 17;
        std::string content(size, '\0');
        for (int i = 0; i < size; ++i)
            content[i] = static_cast<char>(i % 251);
        std::ofstream(path, std::ios::binary) << content;
        const FileDigest digest = sha256File(path);
        QCOMPARE(digest.sizeBytes, std::int64_t(size));
        QCOMPARE(digest.sha256, std::string("fe2aaf82bfa2ffec207a0c6fa7ce7d4af268d67e2672fdaec675f3f9b65d0854"));
    }

    void fileOfOneMillionAIsTheFipsVector()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("a.txt").toStdString();
        std::ofstream(path, std::ios::binary) << std::string(1000000, 'a');
        QCOMPARE(sha256File(path).sha256,
                 std::string("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    }

    void movedHashContinuesTheMessage()
    {
        Sha256 first;
        first.update("ab");
        Sha256 second(std::move(first));
        second.update("c");
        QCOMPARE(second.finishHex(), std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    }

    void useAfterFinishIsRefused()
    {
        Sha256 hash;
        hash.update("abc");
        hash.finish();
        QVERIFY_THROWS_EXCEPTION(std::logic_error, hash.update("more"));
        QVERIFY_THROWS_EXCEPTION(std::logic_error, hash.finish());
    }

    void fileDigestMatchesBytes()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("blob.bin").toStdString();
        std::string content;
        for (int i = 0; i < 200000; ++i)
            content.push_back(static_cast<char>(i % 251));
        std::ofstream(path, std::ios::binary) << content;
        const FileDigest digest = sha256File(path);
        QCOMPARE(digest.sizeBytes, std::int64_t(content.size()));
        QCOMPARE(digest.sha256, sha256Hex(content));
    }

    void missingFileNamesThePath()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("absent.bin").toStdString();
        try {
            sha256File(path);
            QFAIL("no error for a missing file");
        } catch (const lwb::Error &error) {
            QCOMPARE(error.where(), path);
        }
    }

    void folderIsAnErrorNamingIt()
    {
        QTemporaryDir dir;
        const std::string path = dir.path().toStdString();
        try {
            sha256File(path);
            QFAIL("a folder was hashed as if it were a file");
        } catch (const lwb::Error &error) {
            QCOMPARE(error.where(), path);
        }
    }
};

QTEST_APPLESS_MAIN(Sha256Test)
#include "sha256_test.moc"
