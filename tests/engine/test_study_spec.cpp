// Study files (engine/config/study_spec.h): grids and random trials expand to
// the run configs a researcher expects, in a stable order, each validated;
// every mistake is reported with the study file, the cell and the key.
#include "engine/config/config_error.h"
#include "engine/config/study_spec.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <set>

using nlohmann::json;

namespace {

json baseConfig()
{
    return json::parse(R"({"name": "base", "seed": 42, "model": {"preset": "gpt2-tiny"},
                           "adapter": {"variant": "lora", "r": 8, "alpha": 16},
                           "training": {"steps": 10, "batch_size": 4, "lr": 0.003}})");
}

std::string issuesText(const lwb::ConfigError &error)
{
    std::string text;
    for (const auto &issue : error.issues())
        text += issue.path + ": " + issue.reason + "\n";
    return text;
}

// The text of the ConfigError parsing `study` raises ("" when it parses).
std::string errorOf(const json &study)
{
    try {
        lwb::parseStudySpec(study, "study.json", ".");
    } catch (const lwb::ConfigError &error) {
        return issuesText(error);
    } catch (const lwb::Error &error) {
        return error.what();
    }
    return "";
}

} // namespace

class TestStudySpec : public QObject
{
    Q_OBJECT

private slots:
    void gridTimesSeedsInCellMajorOrder()
    {
        json study = {{"name", "rank"},
                      {"base", baseConfig()},
                      {"seeds", {1, 2, 3}},
                      {"grid", {{"adapter.r", {4, 8}}, {"training.lr", {0.001, 0.01}}}}};
        const auto spec = lwb::parseStudySpec(study, "study.json", ".");
        QCOMPARE(spec.cells.size(), std::size_t(4));
        // The first axis varies slowest, in the order the file writes the axes.
        QCOMPARE(spec.cells[0].label(), std::string("adapter.r=4 training.lr=0.001"));
        QCOMPARE(spec.cells[1].label(), std::string("adapter.r=4 training.lr=0.01"));
        QCOMPARE(spec.cells[3].label(), std::string("adapter.r=8 training.lr=0.01"));
        QCOMPARE(spec.cells[2].settingsKey(), std::string(R"([["adapter.r",8],["training.lr",0.001]])"));
        const auto runs = spec.runs();
        QCOMPARE(runs.size(), std::size_t(12));
        QCOMPARE(runs[4].cellIndex, std::size_t(1));
        QCOMPARE(runs[4].seed, std::uint64_t(2));
        QCOMPARE(runs[4].config["seed"].get<std::uint64_t>(), std::uint64_t(2));
        QCOMPARE(runs[4].config["name"].get<std::string>(), std::string("rank-c1-s2"));
        QCOMPARE(runs[4].config["adapter"]["r"].get<int>(), 4);
        QCOMPARE(runs[4].config["training"]["lr"].get<double>(), 0.01);
        // Keys the cell does not name come from the base.
        QCOMPARE(runs[4].config["training"]["steps"].get<int>(), 10);
        QCOMPARE(spec.metric, std::string("eval/loss"));
        QCOMPARE(spec.baselineCell, -1);
    }

    void wholeObjectsAsGridValues()
    {
        json study = {{"name", "variants"},
                      {"base", baseConfig()},
                      {"seeds", {7}},
                      {"grid",
                       {{"adapter",
                         {{{"variant", "lora"}, {"r", 4}},
                          {{"variant", "sira"}, {"r", 4}, {"sira", {{"experts", 4}, {"top_k", 2}}}}}}}},
                      {"baseline", {{"adapter", {{"variant", "lora"}, {"r", 4}}}}}};
        const auto spec = lwb::parseStudySpec(study, "study.json", ".");
        QCOMPARE(spec.cells.size(), std::size_t(2));
        QCOMPARE(spec.baselineCell, 0);
        QCOMPARE(spec.runs()[1].config["adapter"]["variant"].get<std::string>(), std::string("sira"));
    }

    void randomTrialsAreReproducibleAndInRange()
    {
        json study = {{"name", "search"},
                      {"base", baseConfig()},
                      {"seeds", {1, 2}},
                      {"random",
                       {{"trials", 20},
                        {"seed", 5},
                        {"space",
                         {{"training.lr", {{"log_uniform", {1e-4, 1e-2}}}},
                          {"adapter.dropout", {{"uniform", {0.0, 0.2}}}},
                          {"adapter.r", {{"int_uniform", {2, 4}}}},
                          {"adapter.alpha", {{"choice", {8, 16, 32}}}}}}}}};
        const auto first = lwb::parseStudySpec(study, "study.json", ".");
        const auto again = lwb::parseStudySpec(study, "study.json", ".");
        QCOMPARE(first.cells.size(), std::size_t(20));
        std::set<std::int64_t> ranks;
        std::set<std::int64_t> alphas;
        for (std::size_t i = 0; i < first.cells.size(); ++i) {
            QCOMPARE(first.cells[i].settingsKey(), again.cells[i].settingsKey());
            const auto &settings = first.cells[i].settings;
            // nlohmann orders an object's keys, so the space reads alphabetically.
            QCOMPARE(settings[0].first, std::string("adapter.alpha"));
            alphas.insert(settings[0].second.get<std::int64_t>());
            const double dropout = settings[1].second.get<double>();
            QVERIFY(dropout >= 0.0 && dropout < 0.2);
            QVERIFY(settings[2].second.is_number_integer());
            ranks.insert(settings[2].second.get<std::int64_t>());
            const double lr = settings[3].second.get<double>();
            QVERIFY(lr >= 1e-4 && lr < 1e-2);
        }
        QCOMPARE(ranks, (std::set<std::int64_t>{2, 3, 4}));
        QCOMPARE(alphas, (std::set<std::int64_t>{8, 16, 32}));
        study["random"]["seed"] = 6;
        QVERIFY(lwb::parseStudySpec(study, "study.json", ".").cells[0].settingsKey() != first.cells[0].settingsKey());
    }

    void baseFileIsRelativeToTheStudy()
    {
        QTemporaryDir directory;
        std::ofstream(directory.filePath("base.json").toStdString()) << baseConfig().dump();
        const auto studyPath = directory.filePath("study.json").toStdString();
        std::ofstream(studyPath) << json({{"name", "s"},
                                          {"base", "base.json"},
                                          {"set", {"training.steps=3"}},
                                          {"seeds", {1}},
                                          {"metric", "eval/exact_match/upper"}})
                                        .dump();
        const auto spec = lwb::loadStudySpec(studyPath);
        QCOMPARE(spec.cells.size(), std::size_t(1));
        QCOMPARE(spec.cells[0].label(), std::string("base"));
        QCOMPARE(spec.runs()[0].config["training"]["steps"].get<int>(), 3);
        QCOMPARE(spec.metric, std::string("eval/exact_match/upper"));
    }

    void mistakesNameTheKeyAndTheCell()
    {
        const json base = baseConfig();
        QVERIFY(errorOf({{"base", base}, {"seeds", {1}}}).find("name: must be a non-empty string")
                != std::string::npos);
        QVERIFY(errorOf({{"name", "s"}, {"base", base}, {"seeds", {1, 1}}}).find("seeds[1]: repeats seed 1")
                != std::string::npos);
        QVERIFY(
            errorOf({{"name", "s"}, {"base", base}, {"seeds", {1}}, {"grdi", json::object()}}).find("grdi: unknown key")
            != std::string::npos);
        QVERIFY(errorOf({{"name", "s"}, {"base", base}, {"seeds", {1}}, {"grid", {{"adapter.r", json::array()}}}})
                    .find("grid.adapter.r: must be a non-empty array")
                != std::string::npos);
        QVERIFY(errorOf({{"name", "s"},
                         {"base", base},
                         {"seeds", {1}},
                         {"random", {{"trials", 2}, {"space", {{"training.lr", {{"log_uniform", {0, 1}}}}}}}}})
                    .find("random.space.training.lr.log_uniform: log_uniform needs low > 0")
                != std::string::npos);
        // An expanded config that is not a valid run: the cell and the key.
        const auto badCell
            = errorOf({{"name", "s"}, {"base", base}, {"seeds", {1}}, {"grid", {{"adapter.r", {4, 0}}}}});
        QVERIFY2(badCell.find("adapter.r: cell 1 (adapter.r=0)") != std::string::npos, badCell.c_str());
        QVERIFY(errorOf({{"name", "s"},
                         {"base", base},
                         {"seeds", {1}},
                         {"grid", {{"adapter.r", {4, 8}}}},
                         {"baseline", {{"adapter.r", 16}}}})
                    .find("baseline: names no cell")
                != std::string::npos);
        try {
            lwb::loadStudySpec("/nonexistent/study.json");
            QFAIL("a missing study file must be an error");
        } catch (const lwb::Error &error) {
            QVERIFY(std::string(error.what()).find("/nonexistent/study.json: cannot open the study file") == 0);
        }
    }
};

QTEST_APPLESS_MAIN(TestStudySpec)
#include "test_study_spec.moc"
