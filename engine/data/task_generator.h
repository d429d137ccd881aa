// TaskGenerator: the built-in task suite, generated from a seed so the
// default run needs no files and every example is reproducible by index.
//
// Each example is "<task>: <input>\n" followed by the answer:
//   first    "first: stone\n"   -> "s"        (the first letter)
//   length   "length: stone\n"  -> "5"        (the number of letters)
//   reverse  "reverse: stone\n" -> "enots"    (letters backwards)
//   upper    "upper: stone\n"   -> "STONE"    (a fixed per-character map)
//   sort     "sort: stone\n"    -> "enost"    (letters in order)
//   add      "add: 27+415\n"    -> "442"      (decimal addition)
// Each is a deterministic function of its input, so a model that learns the
// rule drives the answer loss towards zero; exact match measures it. first
// and length are learnt by a LoRA on the random built-in base within the
// default run; the others need far longer or a pretrained base.
// example(i) depends only on (seed, i): training resumes mid-stream exactly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lwb {

struct TaskExample
{
    std::string task;
    std::string prompt; // includes the trailing newline
    std::string answer;
};

std::vector<std::string> builtinTaskNames();

class TaskGenerator
{
public:
    // tasks must be built-in names (validated by the config).
    TaskGenerator(std::vector<std::string> tasks, std::uint64_t seed);

    TaskExample example(std::uint64_t index) const;

private:
    std::vector<std::string> tasks_;
    std::uint64_t seed_;
};

} // namespace lwb
