// The syntax tree of a Jinja template and the parser that builds it from
// the source text: text, {{ expressions }}, {% statements %} and
// {# comments #}, with Jinja2's whitespace control (`-` strips all
// whitespace on that side, `+` keeps it) and the environment Hugging Face
// renders chat templates in: trim_blocks (the first newline after a block or
// comment tag goes) and lstrip_blocks (spaces and tabs from a line's start up
// to a block or comment tag go). As in Jinja2, one trailing newline of the
// template is dropped.
//
// Statements: if/elif/else, for (tuple targets, `if` filter, else),
// set (name, ns.attr, or a {% set x %}...{% endset %} block), break,
// continue, macro (positional and keyword parameters with defaults, called
// by name), and transformers' {% generation %} marker (rendered as its
// body). Anything else (call, filter blocks, include, raw, ...) is refused
// with a TemplateError at its offset.
#pragma once

#include "engine/data/jinja/jinja_value.h"

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace lwb::jinja {

constexpr std::size_t kNoOffset = static_cast<std::size_t>(-1);

// A syntax or runtime error at a byte offset of the template source
// (kNoOffset when the caller knows it better: it fills it in). `raised`
// marks the template's own raise_exception().
class TemplateError : public std::runtime_error
{
public:
    TemplateError(std::size_t offset, const std::string &message, bool raised = false)
        : std::runtime_error(message)
        , offset(offset)
        , raised(raised)
    {
    }
    std::size_t offset;
    bool raised;
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;
using Keywords = std::vector<std::pair<std::string, ExprPtr>>;

struct Expr
{
    enum class Kind {
        Literal,     // literal
        Name,        // name
        List,        // operands: items
        Dict,        // operands: key, value, key, value, ...
        Attribute,   // operands[0].name
        Item,        // operands[0][operands[1]]
        Slice,       // operands[0][start:stop:step], missing parts null
        Call,        // operands[0](operands[1:], keywords)
        Filter,      // operands[0] | name(operands[1:], keywords)
        Test,        // operands[0] is [not] name(operands[1:])
        Not,         // not operands[0]
        Negate,      // -operands[0]
        Binary,      // operands[0] name operands[1]; name is the operator ("not in" too)
        And,         // operands[0] and operands[1]
        Or,          // operands[0] or operands[1]
        Conditional, // operands[0] if operands[1] else operands[2] (null: undefined)
    };
    Kind kind = Kind::Literal;
    std::size_t offset = 0;
    Value literal;
    std::string name;
    std::vector<ExprPtr> operands;
    Keywords keywords;
    bool negated = false; // "is not"
};

struct Node;
using Body = std::vector<Node>;

struct Node
{
    enum class Kind {
        Text,     // text
        Output,   // {{ expr }}
        If,       // branches, then elseBody
        For,      // for targets in expr [if filter]: body, else elseBody
        Set,      // targets = expr (targets: {name} or {namespace, attribute})
        SetBlock, // targets = the rendered body
        Break,
        Continue,
        Macro,      // {% macro text(targets = defaults) %} body
        Generation, // {% generation %} body: rendered as is
    };
    Kind kind = Kind::Text;
    std::size_t offset = 0;
    std::string text;
    ExprPtr expr;
    ExprPtr filter;
    std::vector<std::pair<ExprPtr, Body>> branches;
    Body body;
    Body elseBody;
    std::vector<std::string> targets;
    std::vector<ExprPtr> defaults; // Macro: one per parameter, null for none
    // For: the body (nested statements included) names `loop`. Only then does
    // the interpreter build the loop object, as Jinja2's compiler decides too.
    bool bodyNamesLoop = false;
};

// Parses a whole template. Throws TemplateError at the offending offset.
Body parseTemplate(const std::string &source);

} // namespace lwb::jinja
