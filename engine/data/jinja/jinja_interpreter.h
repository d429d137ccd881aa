// Renders a parsed Jinja template (jinja_syntax.h) with Jinja2's semantics:
// undefined names are undefined (printed as "", false, iterable as empty;
// reading an attribute or item of one is an error), for loops open a scope
// per iteration (a set inside does not leak out; namespaces carry state), the
// `loop` variable has index, index0, revindex, revindex0, first, last,
// length, previtem and nextitem, and break/continue work (transformers
// enables Jinja2's loopcontrols). Throws TemplateError at the offset of the
// failing expression.
#pragma once

#include "engine/data/jinja/jinja_syntax.h"

#include <string>

namespace lwb::jinja {

std::string render(const Body &body, const Dict &variables);

} // namespace lwb::jinja
