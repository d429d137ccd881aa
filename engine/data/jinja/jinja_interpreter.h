// Renders a parsed Jinja template (jinja_syntax.h) with Jinja2's semantics:
// undefined names are undefined (printed as "", false, iterable as empty;
// reading an attribute or item of one is an error), for loops open a scope
// per iteration (a set inside does not leak out; namespaces carry state), the
// `loop` variable has index, index0, revindex, revindex0, first, last,
// length, previtem and nextitem, and break/continue work (transformers
// enables Jinja2's loopcontrols). Throws TemplateError at the offset of the
// failing expression.
//
// The render budget. Jinja2 bounds only range() (100,000 items, as ours), so
// three nested loops run for hours there too, and `'ab' * 10**12` ends in a
// MemoryError. A chat template comes with a downloaded checkpoint and renders
// for every example of a dataset, so here a render that passes either limit
// stops with a TemplateError at the loop, call or expression (ChatTemplate
// names the template, line and column) instead of hanging the workbench or
// taking all memory. Real chat templates stay far below both: they loop over
// the messages, tools and tool calls (hundreds to thousands of steps), and
// their text is what a model reads (a million-token context is about 4 MiB).
// Half a million steps take about 50 ms in Jinja2 and less here (Release);
// under AddressSanitizer a template that meets either limit still ends within
// the fuzzer's 10 s for its five renders (about 3 s each way on the shared
// build machine). The budget bounds steps, not the work inside one: a step
// may still build a string up to the size limit.
#pragma once

#include "engine/data/jinja/jinja_syntax.h"

#include <cstdint>
#include <string>

namespace lwb::jinja {

// Loop iterations (a loop filter's tests included) and macro calls in one render.
constexpr std::uint64_t kMaxRenderSteps = 500'000;
// The rendered text, and any string or list an expression builds (a list at
// sizeof(Value) bytes an item).
constexpr std::uint64_t kMaxRenderBytes = std::uint64_t(32) << 20;

struct RenderBudget
{
    std::uint64_t steps = kMaxRenderSteps;
    std::uint64_t bytes = kMaxRenderBytes;
};

// Throws TemplateError, also when the render passes `budget`.
std::string render(const Body &body, const Dict &variables, const RenderBudget &budget = {});

} // namespace lwb::jinja
