// The table of the DLP-LoRA replay (resources/studies/run_dlp_replay.sh):
// reads the dlp_result.json each study wrote (engine/dlp/dlp_study.h) and
// prints, per plugin kind, each figure's mean over the seeds with its 95 %
// Student-t interval (storage/run_statistics.h, the same numbers as the
// GUI's seed groups), as Markdown, and writes the per-seed rows as CSV.
// Not a benchmark; it lives here because it is a small study tool built with
// the tests and linked to storage only.
//
//   dlp_replay_table OUT.csv RESULT.json...     (Markdown on stdout)
#include "storage/run_statistics.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace {

std::string interval(const std::vector<double> &values, double scale, int decimals)
{
    const auto s = lwb::storage::meanInterval(values);
    char text[96];
    if (s.count < 2 || std::isnan(s.halfWidth))
        std::snprintf(text, sizeof text, "%.*f (n=%zu)", decimals, s.mean * scale, s.count);
    else
        std::snprintf(text, sizeof text, "%.*f ± %.*f (n=%zu)", decimals, s.mean * scale, decimals, s.halfWidth * scale,
                      s.count);
    return text;
}

double meanOf(const nlohmann::json &byTask)
{
    double sum = 0.0;
    for (const auto &[task, value] : byTask.items())
        sum += value.get<double>();
    return byTask.empty() ? 0.0 : sum / double(byTask.size());
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 3) {
        std::fprintf(stderr, "usage: dlp_replay_table OUT.csv RESULT.json...\n");
        return 2;
    }
    // kind -> figure -> per-seed values, in the order the rows are printed.
    std::map<std::string, std::map<std::string, std::vector<double>>> figures;
    std::vector<std::string> order;
    std::ofstream csv(argv[1]);
    csv << "plugin,seed,plugin_parameters,plugin_accuracy,em_fusion,em_oracle,em_multi_task,task,task_em_fusion,"
           "task_em_oracle,task_em_multi_task,fusion_s,oracle_s,single_s\n";
    for (int i = 2; i < argc; ++i) {
        std::ifstream file(argv[i]);
        if (!file) {
            std::fprintf(stderr, "%s: cannot open\n", argv[i]);
            return 1;
        }
        const auto r = nlohmann::json::parse(file);
        const auto kind = r.at("plugin").at("kind").get<std::string>();
        const auto &em = r.at("exact_match");
        const auto &seconds = r.at("inference_seconds");
        auto &f = figures[kind];
        const auto add = [&](const std::string &name, double value) {
            if (f.find(name) == f.end() && std::find(order.begin(), order.end(), name) == order.end())
                order.push_back(name);
            f[name].push_back(value);
        };
        add("plugin parameters", r.at("plugin").at("parameters").get<double>());
        add("plugin accuracy %", 100.0 * r.at("plugin").at("accuracy").get<double>());
        add("EM fusion %", 100.0 * meanOf(em.at("fusion")));
        add("EM oracle %", 100.0 * meanOf(em.at("oracle")));
        add("EM multi-task LoRA %", 100.0 * meanOf(em.at("multi_task")));
        for (const auto &[task, value] : em.at("fusion").items()) {
            add("EM fusion " + task + " %", 100.0 * value.get<double>());
            add("EM oracle " + task + " %", 100.0 * em.at("oracle").at(task).get<double>());
            add("EM multi-task " + task + " %", 100.0 * em.at("multi_task").at(task).get<double>());
            csv << kind << ',' << r.at("seed") << ',' << r.at("plugin").at("parameters") << ','
                << r.at("plugin").at("accuracy") << ',' << meanOf(em.at("fusion")) << ',' << meanOf(em.at("oracle"))
                << ',' << meanOf(em.at("multi_task")) << ',' << task << ',' << value << ',' << em.at("oracle").at(task)
                << ',' << em.at("multi_task").at(task) << ',' << seconds.at("fusion") << ',' << seconds.at("oracle")
                << ',' << seconds.at("single") << '\n';
        }
        add("inference s, fusion (plugin + fused)", seconds.at("fusion").get<double>());
        add("inference s, single LoRA", seconds.at("single").get<double>());
        add("inference s, oracle", seconds.at("oracle").get<double>());
        add("fusion / single LoRA time", seconds.at("fusion").get<double>() / seconds.at("single").get<double>());
        add("fusion / oracle time", seconds.at("fusion").get<double>() / seconds.at("oracle").get<double>());
    }
    std::cout << "| figure |";
    for (const auto &[kind, values] : figures)
        std::cout << " plugin " << kind << " |";
    std::cout << "\n| --- |";
    for (std::size_t i = 0; i < figures.size(); ++i)
        std::cout << " --- |";
    std::cout << "\n";
    for (const auto &name : order) {
        std::cout << "| " << name << " |";
        const int decimals = name == "plugin parameters" ? 0 : (name.find("time") != std::string::npos ? 3 : 2);
        for (const auto &[kind, values] : figures) {
            const auto found = values.find(name);
            std::cout << ' ' << (found == values.end() ? std::string("-") : interval(found->second, 1.0, decimals))
                      << " |";
        }
        std::cout << "\n";
    }
    std::cout << "\nmean ± half-width of the two-sided 95 % Student-t interval over seeds "
                 "(storage/run_statistics.h); EM = exact match on the held-out prompts\n";
    return 0;
}
