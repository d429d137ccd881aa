// Qt Test suite for engine/tensor_io: the safetensors reader, the atomic
// writer and sharded checkpoints.
//
// Malformed files are built byte by byte here (header JSON + data), one per
// validation rule, and each must throw lwb::Error whose message names the
// file, the tensor and the rule. The fuzz cases (every truncation, seeded
// byte garbling) check the weaker promise: an lwb::Error or a valid result,
// never a crash or an out-of-bounds read (run under ASan to see the latter).
#include "engine/core/error.h"
#include "engine/tensor_io/safetensors_reader.h"
#include "engine/tensor_io/safetensors_writer.h"
#include "engine/tensor_io/sharded_checkpoint.h"
#include "error_capture.h"

#include <ATen/ATen.h>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>

using namespace lwb;

namespace {

std::string lengthPrefix(std::uint64_t length)
{
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i)
        bytes[i] = static_cast<char>((length >> (8 * i)) & 0xff);
    return bytes;
}

// A safetensors file: the header as given, then `dataBytes` bytes of data.
std::string craft(const std::string &header, std::size_t dataBytes)
{
    return lengthPrefix(header.size()) + header + std::string(dataBytes, '\x01');
}

void writeBytes(const std::string &path, const std::string &bytes)
{
    QFile file(QString::fromStdString(path));
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(file.write(bytes.data(), static_cast<qint64>(bytes.size())), static_cast<qint64>(bytes.size()));
}

std::string readBytes(const std::string &path)
{
    QFile file(QString::fromStdString(path));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QByteArray data = file.readAll();
    return std::string(data.constData(), static_cast<std::size_t>(data.size()));
}

using lwb::test::contains;
using lwb::test::errorOf;

} // namespace

class TestSafetensors : public QObject
{
    Q_OBJECT

private slots:
    // A fresh directory per test function (and per data row).
    void init()
    {
        dir_ = std::make_unique<QTemporaryDir>();
        QVERIFY(dir_->isValid());
    }

    void roundTripKeepsValuesAndMetadata()
    {
        at::manual_seed(7);
        const at::Tensor f32 = at::randn({3, 5});
        const at::Tensor f16 = at::randn({4}).to(at::kHalf);
        const at::Tensor bf16 = at::randn({2, 3, 2}).to(at::kBFloat16);
        const at::Tensor scalar = at::full({}, 2.5);
        const at::Tensor empty = at::zeros({0, 4});
        const std::string path = file("round.safetensors");
        writeSafetensors(path, {{"w.f32", f32}, {"w.f16", f16}, {"w.bf16", bf16}, {"scalar", scalar}, {"empty", empty}},
                         {{"format", "pt"}, {"note", "ünïcode"}});

        const SafetensorsReader reader(path);
        QCOMPARE(reader.names().size(), std::size_t(5));
        QCOMPARE(reader.metadata().at("format"), std::string("pt"));
        QCOMPARE(reader.metadata().at("note"), std::string("ünïcode"));
        QVERIFY(reader.info("w.f16").dtype == SafetensorsDtype::F16);
        QCOMPARE(reader.info("w.bf16").shape, (std::vector<std::int64_t>{2, 3, 2}));

        QVERIFY(reader.load("w.f32").equal(f32));
        QVERIFY(reader.load("w.f16").equal(f16.to(at::kFloat)));
        QVERIFY(reader.load("w.bf16").equal(bf16.to(at::kFloat)));
        QVERIFY(reader.load("w.bf16", at::kBFloat16).equal(bf16));
        QCOMPARE(reader.load("w.f32", at::kBFloat16).scalar_type(), at::kBFloat16);
        QCOMPARE(reader.load("scalar").dim(), int64_t(0));
        QCOMPARE(reader.load("scalar").item<float>(), 2.5f);
        QCOMPARE(reader.load("empty").sizes().vec(), (std::vector<std::int64_t>{0, 4}));

        // Header padded to 8 bytes: the data section starts aligned.
        const std::string bytes = readBytes(path);
        std::uint64_t headerLength = 0;
        for (int i = 7; i >= 0; --i)
            headerLength = (headerLength << 8) | static_cast<std::uint8_t>(bytes[i]);
        QCOMPARE(headerLength % 8, std::uint64_t(0));
    }

    // Bytes laid out by hand (not by our writer): known bit patterns per dtype.
    void readsHandWrittenBytes()
    {
        std::string data;
        const auto put = [&data](std::initializer_list<int> bytes) {
            for (const int byte : bytes)
                data += static_cast<char>(byte);
        };
        put({0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x20, 0xc1}); // F32 1.5, -10
        put({0x00, 0x3c, 0x00, 0xc0});                         // F16 1, -2
        put({0x80, 0x3f, 0x40, 0x40});                         // BF16 1, 3
        const std::string header = R"({"__metadata__":{"format":"pt"},)"
                                   R"("f":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                   R"("h":{"dtype":"F16","shape":[2,1],"data_offsets":[8,12]},)"
                                   R"("b":{"dtype":"BF16","shape":[2],"data_offsets":[12,16]}}   )";
        const std::string path = file("hand.safetensors");
        writeBytes(path, lengthPrefix(header.size()) + header + data);
        const SafetensorsReader reader(path);
        QCOMPARE(reader.names(), (std::vector<std::string>{"f", "h", "b"}));
        QVERIFY(reader.load("f").equal(at::tensor({1.5f, -10.0f})));
        QVERIFY(reader.load("h").equal(at::tensor({1.0f, -2.0f}).reshape({2, 1})));
        QVERIFY(reader.load("b").equal(at::tensor({1.0f, 3.0f})));
        QCOMPARE(reader.load("b", at::kBFloat16).scalar_type(), at::kBFloat16);
    }

    void loadedTensorOutlivesReader()
    {
        const std::string path = file("own.safetensors");
        writeSafetensors(path, {{"x", at::arange(6, at::kFloat)}});
        at::Tensor x;
        {
            const SafetensorsReader reader(path);
            x = reader.load("x");
        }
        QCOMPARE(x.sum().item<float>(), 15.0f);
    }

    void writerReplacesAtomically()
    {
        const std::string path = file("atomic.safetensors");
        writeSafetensors(path, {{"a", at::ones({2})}});
        const std::string before = readBytes(path);

        // A refused write leaves the previous file as it was and no temp file.
        const std::string message = errorOf([&] {
            writeSafetensors(path, {{"a", at::ones({2})}, {"i", at::ones({2}, at::kLong)}});
        });
        QVERIFY2(contains(message, "tensor 'i'") && contains(message, "Long"), message.c_str());
        QCOMPARE(readBytes(path), before);

        writeSafetensors(path, {{"b", at::zeros({3})}});
        QVERIFY(SafetensorsReader(path).contains("b"));
        QCOMPARE(QDir(dir_->path()).entryList(QDir::Files | QDir::Hidden).size(), 1);
    }

    void writerRejectsBadNames()
    {
        const std::string path = file("names.safetensors");
        QVERIFY(contains(errorOf([&] {
                             writeSafetensors(path, {{"a", at::ones({1})}, {"a", at::ones({1})}});
                         }),
                         "duplicate name"));
        QVERIFY(contains(errorOf([&] { writeSafetensors(path, {{"__metadata__", at::ones({1})}}); }), "reserved"));
        QVERIFY(!QFile::exists(QString::fromStdString(path)));
        QVERIFY(contains(errorOf([&] { writeSafetensors(file("missing/dir/x.safetensors"), {}); }), "temporary file"));
    }

    void rejectsMalformedFiles_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("tensor");
        QTest::addColumn<QString>("rule");
        const auto row = [](const char *tag, const std::string &bytes, const char *tensor, const char *rule) {
            QTest::newRow(tag) << QByteArray(bytes.data(), static_cast<int>(bytes.size())) << QString(tensor)
                               << QString(rule);
        };
        const std::string good = R"("w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";

        row("short file", std::string("\x05\x00\x00", 3), "", "too short for the 8-byte header length");
        row("header past end", lengthPrefix(64) + "{}", "", "runs past the end of the file");
        row("header length 2^64-1", lengthPrefix(UINT64_MAX) + "{}", "", "exceeds the limit of 100000000 bytes");
        row("header over 100 MB", lengthPrefix(100'000'001) + "{}", "", "exceeds the limit");
        row("not json", craft("{\"w\": nope", 0), "", "not valid JSON");
        row("bad utf-8", craft("{\"w\xff\":1}", 0), "", "not valid JSON");
        row("not object", craft("[1,2]", 0), "", "not a JSON object");
        row("duplicate name", craft("{" + good + "," + good + "}", 8), "w", "duplicate name");
        row("duplicate key", craft(R"({"w":{"dtype":"F32","dtype":"F16","shape":[2],"data_offsets":[0,8]}})", 8), "w",
            "duplicate key");
        row("entry not object", craft(R"({"w":[1]})", 0), "w", "must be a JSON object");
        row("no dtype", craft(R"({"w":{"shape":[2],"data_offsets":[0,8]}})", 8), "w", "\"dtype\" is missing");
        row("unknown dtype", craft(R"({"w":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}})", 8), "w",
            "unknown dtype \"Q7\"");
        row("no shape", craft(R"({"w":{"dtype":"F32","data_offsets":[0,8]}})", 8), "w", "\"shape\" is missing");
        row("negative dim", craft(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8), "w",
            "non-negative integers");
        row("float dim", craft(R"({"w":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", 8), "w",
            "non-negative integers");
        row("no offsets", craft(R"({"w":{"dtype":"F32","shape":[2]}})", 8), "w", "\"data_offsets\" must be");
        row("three offsets", craft(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}})", 8), "w",
            "\"data_offsets\" must be");
        row("begin > end", craft(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8), "w", "begin > end");
        row("outside data", craft(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4), "w",
            "outside the data section");
        row("huge offsets",
            craft(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[18446744073709551608,18446744073709551615]}})", 8),
            "w", "outside the data section");
        row("byte count", craft(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8), "w",
            "byte count mismatch");
        row("shape overflow", craft(R"({"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", 8),
            "w", "more than 2^64");
        row("gap at start", craft(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8), "w",
            "not contiguous");
        row("gap between",
            craft(
                R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                12),
            "b", "not contiguous");
        row("overlap",
            craft(
                R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                12),
            "b", "tensors overlap");
        row("uncovered tail", craft(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 6), "a",
            "not covered by any tensor");
        row("metadata not strings", craft(R"({"__metadata__":{"k":1}})", 0), "", "__metadata__");
    }

    void rejectsMalformedFiles()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, tensor);
        QFETCH(QString, rule);
        const std::string path = file("bad.safetensors");
        writeBytes(path, bytes.toStdString());
        const std::string message = errorOf([&] { SafetensorsReader reader(path); });
        QVERIFY2(contains(message, path), message.c_str());
        QVERIFY2(contains(message, rule.toStdString()), message.c_str());
        if (!tensor.isEmpty())
            QVERIFY2(contains(message, "tensor '" + tensor.toStdString() + "'"), message.c_str());
    }

    void opensButRefusesUnsupportedDtype()
    {
        const std::string path = file("ints.safetensors");
        writeBytes(
            path,
            craft(
                R"({"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"w":{"dtype":"F32","shape":[1],"data_offsets":[16,20]}})",
                20));
        const SafetensorsReader reader(path);
        QVERIFY(reader.info("ids").dtype == SafetensorsDtype::I64);
        const std::string message = errorOf([&] { reader.load("ids"); });
        QVERIFY2(contains(message, path) && contains(message, "tensor 'ids'")
                     && contains(message, "dtype I64 is not supported"),
                 message.c_str());
        QVERIFY(contains(errorOf([&] { reader.load("w", at::kLong); }), "non-floating"));
        QVERIFY(contains(errorOf([&] { reader.info("nope"); }), "tensor 'nope': not in this file"));
        QCOMPARE(reader.load("w").numel(), int64_t(1));
    }

    void missingFileIsAnError()
    {
        const std::string message = errorOf([&] { SafetensorsReader reader(file("absent.safetensors")); });
        QVERIFY2(contains(message, "absent.safetensors") && contains(message, "cannot open"), message.c_str());
        QVERIFY(contains(errorOf([&] { SafetensorsReader reader(dir_->path().toStdString()); }), "not a regular file"));
    }

    // Every prefix of a valid file: an error or (only the full file) success.
    void survivesEveryTruncation()
    {
        const std::string path = file("whole.safetensors");
        writeSafetensors(path, {{"a", at::randn({3})}, {"b", at::randn({2, 2}).to(at::kHalf)}}, {{"k", "v"}});
        const std::string bytes = readBytes(path);
        const std::string cut = file("cut.safetensors");
        int errors = 0;
        for (std::size_t length = 0; length < bytes.size(); ++length) {
            writeBytes(cut, bytes.substr(0, length));
            try {
                SafetensorsReader reader(cut);
            } catch (const Error &) {
                ++errors;
            }
        }
        QCOMPARE(errors, static_cast<int>(bytes.size()));
    }

    // Seeded random byte flips: anything that still opens must load.
    void survivesGarbledBytes()
    {
        const std::string path = file("fuzz.safetensors");
        writeSafetensors(path, {{"a", at::randn({4})}, {"b", at::randn({3}).to(at::kBFloat16)}});
        const std::string original = readBytes(path);
        std::mt19937 random(1234);
        int opened = 0;
        int rejected = 0;
        for (int round = 0; round < 600; ++round) {
            std::string bytes = original;
            const int flips = 1 + static_cast<int>(random() % 4);
            for (int i = 0; i < flips; ++i) {
                // Half the flips aim at the header, where the structure is.
                const std::size_t limit = (random() % 2) ? std::min<std::size_t>(bytes.size(), 120) : bytes.size();
                bytes[random() % limit] = static_cast<char>(random() & 0xff);
            }
            writeBytes(file("garbled.safetensors"), bytes);
            try {
                const SafetensorsReader reader(file("garbled.safetensors"));
                for (const std::string &name : reader.names()) {
                    try {
                        reader.load(name);
                    } catch (const Error &) {
                    }
                }
                ++opened;
            } catch (const Error &) {
                ++rejected;
            }
        }
        QCOMPARE(opened + rejected, 600);
        QVERIFY(rejected > 0);
    }

    void loadsShardedCheckpoint()
    {
        const at::Tensor a = at::randn({2, 3});
        const at::Tensor b = at::randn({4}).to(at::kBFloat16);
        const at::Tensor c = at::randn({1});
        writeSafetensors(file("model-00001-of-00002.safetensors"), {{"a", a}, {"b", b}});
        writeSafetensors(file("model-00002-of-00002.safetensors"), {{"c", c}});
        writeBytes(file("model.safetensors.index.json"),
                   R"({"metadata":{"total_size":30},"weight_map":{"a":"model-00001-of-00002.safetensors",)"
                   R"("b":"model-00001-of-00002.safetensors","c":"model-00002-of-00002.safetensors"}})");

        const ShardedCheckpoint checkpoint(dir_->path().toStdString());
        QCOMPARE(checkpoint.shardCount(), std::size_t(2));
        QCOMPARE(checkpoint.names(), (std::vector<std::string>{"a", "b", "c"}));
        QVERIFY(checkpoint.load("a").equal(a));
        QVERIFY(checkpoint.load("b", at::kBFloat16).equal(b));
        QVERIFY(checkpoint.load("c").equal(c));
        QVERIFY(contains(checkpoint.shardPath("c"), "model-00002-of-00002.safetensors"));
        QVERIFY(contains(errorOf([&] { checkpoint.load("d"); }), "tensor 'd': not in this checkpoint"));

        // The index file itself and a single-file directory open too.
        QCOMPARE(ShardedCheckpoint(file("model.safetensors.index.json")).names().size(), std::size_t(3));
        QTemporaryDir single;
        writeSafetensors(single.path().toStdString() + "/model.safetensors", {{"x", a}});
        QVERIFY(ShardedCheckpoint(single.path().toStdString()).load("x").equal(a));
    }

    void rejectsInconsistentIndex_data()
    {
        QTest::addColumn<QString>("index");
        QTest::addColumn<QString>("expected");
        QTest::newRow("not json") << "{weight_map"
                                  << "not valid JSON";
        QTest::newRow("no weight_map") << R"({"metadata":{}})"
                                       << "weight_map: missing";
        QTest::newRow("shard not string") << R"({"weight_map":{"a":3}})"
                                          << "weight_map.a: the shard name must be a string";
        QTest::newRow("path traversal") << R"({"weight_map":{"a":"../s1.safetensors"}})"
                                        << "plain file name";
        QTest::newRow("missing shard") << R"({"weight_map":{"a":"nope.safetensors"}})"
                                       << "does not exist";
        QTest::newRow("wrong shard")
            << R"({"weight_map":{"a":"s2.safetensors","c":"s2.safetensors"}})"
            << "tensor 'a': weight_map puts it in shard \"s2.safetensors\", which does not hold it";
        QTest::newRow("unlisted tensor")
            << R"({"weight_map":{"a":"s1.safetensors","c":"s2.safetensors"}})"
            << "tensor 'b': shard \"s1.safetensors\" holds it but weight_map does not list it";
    }

    void rejectsInconsistentIndex()
    {
        QFETCH(QString, index);
        QFETCH(QString, expected);
        writeSafetensors(file("s1.safetensors"), {{"a", at::ones({1})}, {"b", at::ones({1})}});
        writeSafetensors(file("s2.safetensors"), {{"c", at::ones({1})}});
        const std::string indexPath = file("model.safetensors.index.json");
        writeBytes(indexPath, index.toStdString());
        const std::string message = errorOf([&] { ShardedCheckpoint checkpoint(indexPath); });
        QVERIFY2(contains(message, indexPath) && contains(message, expected.toStdString()), message.c_str());
    }

    void rejectsDirectoryWithoutWeights()
    {
        QTemporaryDir empty;
        QVERIFY(contains(errorOf([&] { ShardedCheckpoint checkpoint(empty.path().toStdString()); }),
                         "no model.safetensors.index.json or model.safetensors"));
    }

private:
    std::string file(const std::string &name) const { return dir_->path().toStdString() + "/" + name; }

    std::unique_ptr<QTemporaryDir> dir_;
};

QTEST_APPLESS_MAIN(TestSafetensors)
#include "test_safetensors.moc"
