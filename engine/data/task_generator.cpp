// See task_generator.h.
#include "engine/data/task_generator.h"

#include "engine/core/seed_mix.h"

#include <algorithm>
#include <random>
#include <stdexcept>

namespace lwb {

namespace {

std::string randomWord(std::mt19937_64 &rng)
{
    std::uniform_int_distribution<int> length(3, 8);
    std::uniform_int_distribution<int> letter(0, 25);
    std::string word(static_cast<std::size_t>(length(rng)), 'a');
    for (auto &c : word)
        c = static_cast<char>('a' + letter(rng));
    return word;
}

} // namespace

std::vector<std::string> builtinTaskNames()
{
    return {"reverse", "upper", "sort", "add", "first", "length"};
}

TaskGenerator::TaskGenerator(std::vector<std::string> tasks, std::uint64_t seed)
    : tasks_(std::move(tasks))
    , seed_(seed)
{
    if (tasks_.empty())
        throw std::invalid_argument("TaskGenerator needs at least one task");
}

TaskExample TaskGenerator::example(std::uint64_t index) const
{
    // SplitMix64 twice decorrelates (seed, index) pairs before they seed the
    // per-example engine, so example i of seed s shares nothing with s+1's.
    std::mt19937_64 rng(splitMix64(splitMix64(seed_) ^ index));
    TaskExample example;
    example.task = tasks_[rng() % tasks_.size()];
    if (example.task == "add") {
        std::uniform_int_distribution<int> number(0, 999);
        const int a = number(rng), b = number(rng);
        example.prompt = "add: " + std::to_string(a) + "+" + std::to_string(b) + "\n";
        example.answer = std::to_string(a + b);
        return example;
    }
    const auto word = randomWord(rng);
    std::string answer = word;
    if (example.task == "first")
        answer = word.substr(0, 1);
    else if (example.task == "length")
        answer = std::to_string(word.size());
    else if (example.task == "reverse")
        std::reverse(answer.begin(), answer.end());
    else if (example.task == "upper")
        std::transform(answer.begin(), answer.end(), answer.begin(),
                       [](char c) { return static_cast<char>(c - 'a' + 'A'); });
    else if (example.task == "sort")
        std::sort(answer.begin(), answer.end());
    else
        throw std::invalid_argument("unknown built-in task \"" + example.task + "\"");
    example.prompt = example.task + ": " + word + "\n";
    example.answer = std::move(answer);
    return example;
}

} // namespace lwb
