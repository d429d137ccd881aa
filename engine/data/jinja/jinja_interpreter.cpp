// See jinja_interpreter.h.
#include "engine/data/jinja/jinja_interpreter.h"

#include "engine/data/jinja/jinja_builtins.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <new>
#include <stdexcept>

namespace lwb::jinja {

namespace {

enum class Flow {
    Normal,
    Break,
    Continue,
};

[[noreturn]] void fail(const Expr &at, const std::string &message)
{
    throw TemplateError(at.offset, message);
}

// An int result past 64 bits: Python's ints grow, ours stop with an error
// rather than print a wrapped number.
[[noreturn]] void overflow(const Expr &at, const std::string &op)
{
    fail(at, "integer result of " + op + " does not fit in 64 bits");
}

// base ** exponent by squaring, exponent >= 0.
std::int64_t power(const Expr &at, std::int64_t base, std::int64_t exponent)
{
    std::int64_t result = 1;
    while (exponent > 0) {
        if ((exponent & 1) && __builtin_mul_overflow(result, base, &result))
            overflow(at, "**");
        exponent >>= 1;
        if (exponent > 0 && __builtin_mul_overflow(base, base, &base))
            overflow(at, "**");
    }
    return result;
}

// Python's arithmetic on int/float/bool (bools count as 0 and 1).
Value arithmetic(const Expr &at, const std::string &op, const Value &a, const Value &b)
{
    const bool integers = a.kind() != Value::Kind::Float && b.kind() != Value::Kind::Float;
    if (op == "/") {
        if (b.number() == 0.0)
            fail(at, "division by zero");
        return Value(a.number() / b.number());
    }
    if (op == "//" || op == "%") {
        if (b.number() == 0.0)
            fail(at, "division by zero");
        if (integers) {
            const auto x = a.integer(), y = b.integer();
            if (y == -1 && x == std::numeric_limits<std::int64_t>::min())
                overflow(at, op);
            auto quotient = x / y;
            if ((x % y != 0) && ((x < 0) != (y < 0)))
                --quotient; // floor, as Python
            return op == "//" ? Value(quotient) : Value(x - quotient * y);
        }
        const auto quotient = std::floor(a.number() / b.number());
        return op == "//" ? Value(quotient) : Value(a.number() - quotient * b.number());
    }
    if (op == "**") {
        if (integers && b.integer() >= 0)
            return Value(power(at, a.integer(), b.integer()));
        return Value(std::pow(a.number(), b.number()));
    }
    if (integers) {
        std::int64_t result = 0;
        const auto x = a.integer(), y = b.integer();
        if (op == "+"   ? __builtin_add_overflow(x, y, &result)
            : op == "-" ? __builtin_sub_overflow(x, y, &result)
                        : __builtin_mul_overflow(x, y, &result))
            overflow(at, op);
        return Value(result);
    }
    const auto x = a.number(), y = b.number();
    return Value(op == "+" ? x + y : op == "-" ? x - y : x * y);
}

// "32 MiB", or a count of bytes where that is not whole.
std::string describeBytes(std::uint64_t bytes)
{
    if (bytes % (std::uint64_t(1) << 20) == 0)
        return std::to_string(bytes >> 20) + " MiB";
    return std::to_string(bytes) + " bytes";
}

// Refuses a string or list that would pass the render budget's size limit
// (`bytes` it would take) before it is built.
void checkSize(const Expr &at, const std::string &op, std::uint64_t bytes, std::uint64_t maxBytes)
{
    if (bytes > maxBytes)
        fail(at, "the result of " + op + " would take more than " + describeBytes(maxBytes)
                     + " (the render budget; see jinja_interpreter.h)");
}

// The memory a list of `count` values takes, for checkSize.
std::uint64_t listBytes(std::uint64_t count)
{
    return count * sizeof(Value);
}

Value repeat(const Expr &at, const Value &sequence, const Value &times, std::uint64_t maxBytes)
{
    if (times.kind() != Value::Kind::Int && times.kind() != Value::Kind::Bool)
        fail(at, "cannot multiply a " + sequence.typeName() + " by a " + times.typeName());
    const auto count = static_cast<std::uint64_t>(std::max<std::int64_t>(times.integer(), 0));
    const std::uint64_t size = sequence.isString() ? sequence.string().size() : listBytes(sequence.list().size());
    if (size == 0 || count == 0) // '' * 10**18 is '' at once, as in Python
        return sequence.isString() ? Value(std::string()) : Value(List());
    if (count > maxBytes / size)
        checkSize(at, "*", maxBytes + 1, maxBytes);
    if (sequence.isString()) {
        std::string out;
        out.reserve(static_cast<std::size_t>(size * count));
        for (std::uint64_t i = 0; i < count; ++i)
            out += sequence.string();
        return Value(std::move(out));
    }
    List out;
    out.reserve(static_cast<std::size_t>(sequence.list().size() * count));
    for (std::uint64_t i = 0; i < count; ++i)
        out.insert(out.end(), sequence.list().begin(), sequence.list().end());
    return Value(std::move(out));
}

bool contains(const Expr &at, const Value &container, const Value &item)
{
    if (container.isString()) {
        if (!item.isString())
            fail(at, "'in <string>' needs a string on the left, not " + item.typeName());
        return container.string().find(item.string()) != std::string::npos;
    }
    if (container.isList()) {
        for (const auto &element : container.list())
            if (element == item)
                return true;
        return false;
    }
    if (container.isMapping())
        return item.isString() && container.find(item.string()) != nullptr;
    if (container.isUndefined())
        return false;
    fail(at, "'in' needs a string, list or dict on the right, not " + container.typeName());
}

// Runs a builtin, giving its errors this expression's offset.
template <typename Call> auto located(const Expr &at, Call call)
{
    try {
        return call();
    } catch (const TemplateError &error) {
        if (error.offset != kNoOffset)
            throw;
        throw TemplateError(at.offset, error.what(), error.raised);
    }
}

// `maxBytes`: the budget's limit for a string or list the operation builds.
Value binaryOperation(const Expr &at, const Value &a, const Value &b, std::uint64_t maxBytes)
{
    const auto &op = at.name;
    if (op == "==")
        return Value(a == b);
    if (op == "!=")
        return Value(a != b);
    if (op == "in")
        return Value(contains(at, b, a));
    if (op == "not in")
        return Value(!contains(at, b, a));
    if (op == "~") {
        auto left = a.text();
        const auto right = b.text();
        checkSize(at, op, left.size() + right.size(), maxBytes);
        return Value(std::move(left += right));
    }
    if (op == "<" || op == "<=" || op == ">" || op == ">=") {
        int order = 0;
        if (a.isNumber() && b.isNumber())
            order = a.number() < b.number() ? -1 : a.number() > b.number() ? 1 : 0;
        else if (a.isString() && b.isString())
            order = a.string().compare(b.string()); // UTF-8 byte order is code point order
        else
            fail(at, "cannot compare a " + a.typeName() + " with a " + b.typeName() + " using " + op);
        return Value(op == "<" ? order < 0 : op == "<=" ? order <= 0 : op == ">" ? order > 0 : order >= 0);
    }
    if (op == "+") {
        if (a.isString() && b.isString()) {
            checkSize(at, op, a.string().size() + b.string().size(), maxBytes);
            return Value(a.string() + b.string());
        }
        if (a.isList() && b.isList()) {
            checkSize(at, op, listBytes(a.list().size() + b.list().size()), maxBytes);
            auto joined = a.list();
            joined.insert(joined.end(), b.list().begin(), b.list().end());
            return Value(std::move(joined));
        }
    }
    if (op == "*" && (a.isString() || a.isList()))
        return repeat(at, a, b, maxBytes);
    if (op == "*" && (b.isString() || b.isList()))
        return repeat(at, b, a, maxBytes);
    if (a.isNumber() && b.isNumber())
        return arithmetic(at, op, a, b);
    if (op == "%" && a.isString())
        fail(at, "printf-style string formatting ('...' % x) is not supported");
    fail(at, "unsupported operand types for " + op + ": " + a.typeName() + " and " + b.typeName());
}

// Names and values of one scope. Scopes are small (a loop's targets and
// `loop`, a macro's parameters; the top level holds the template's globals
// and sets), so a list searched in order beats a map, and a for loop keeps
// one scope's storage for all its iterations: an iteration allocates nothing
// for its names.
using Scope = Dict;

void define(Scope &scope, const std::string &name, Value value)
{
    for (auto &entry : scope)
        if (entry.first == name) {
            entry.second = std::move(value);
            return;
        }
    scope.emplace_back(name, std::move(value));
}

// Jinja2's loop object for item `i` of `items`.
Value loopObject(const List &items, std::size_t i)
{
    const auto count = static_cast<std::int64_t>(items.size());
    const auto index = static_cast<std::int64_t>(i);
    Dict loop;
    loop.reserve(9);
    loop.emplace_back("index0", Value(index));
    loop.emplace_back("index", Value(index + 1));
    loop.emplace_back("revindex0", Value(count - index - 1));
    loop.emplace_back("revindex", Value(count - index));
    loop.emplace_back("first", Value(index == 0));
    loop.emplace_back("last", Value(index + 1 == count));
    loop.emplace_back("length", Value(count));
    if (i > 0)
        loop.emplace_back("previtem", items[i - 1]);
    if (index + 1 < count)
        loop.emplace_back("nextitem", items[i + 1]);
    return Value(std::move(loop));
}

class Interpreter
{
public:
    Interpreter(const Dict &variables, const RenderBudget &budget)
        : budget_(budget)
    {
        scopes_.emplace_back();
        for (const auto &entry : variables)
            define(scopes_.back(), entry.first, entry.second);
    }

    Flow run(const Body &body, std::string &out)
    {
        for (const auto &node : body) {
            const auto flow = runNode(node, out);
            if (flow != Flow::Normal)
                return flow;
        }
        return Flow::Normal;
    }

private:
    Flow runNode(const Node &node, std::string &out)
    {
        switch (node.kind) {
        case Node::Kind::Text:
            out += node.text;
            checkOutput(node, out);
            return Flow::Normal;
        case Node::Kind::Output:
            out += eval(*node.expr).text();
            checkOutput(node, out);
            return Flow::Normal;
        case Node::Kind::If:
            for (const auto &branch : node.branches)
                if (eval(*branch.first).truthy())
                    return run(branch.second, out);
            return run(node.elseBody, out);
        case Node::Kind::For:
            return runFor(node, out);
        case Node::Kind::Set:
            assign(node, eval(*node.expr));
            return Flow::Normal;
        case Node::Kind::SetBlock: {
            std::string captured;
            run(node.body, captured);
            assign(node, Value(std::move(captured)));
            return Flow::Normal;
        }
        case Node::Kind::Macro:
            macros_[node.text] = &node;
            return Flow::Normal;
        case Node::Kind::Generation:
            return run(node.body, out);
        case Node::Kind::Break:
            return Flow::Break;
        case Node::Kind::Continue:
            return Flow::Continue;
        }
        return Flow::Normal;
    }

    void assign(const Node &node, Value value)
    {
        if (node.targets.size() == 1) {
            define(scopes_.back(), node.targets[0], std::move(value));
            return;
        }
        const auto object = lookup(node.targets[0]);
        if (object.kind() != Value::Kind::Namespace)
            throw TemplateError(node.offset, "{% set " + node.targets[0] + "." + node.targets[1]
                                                 + " %} needs a namespace(), not a " + object.typeName());
        object.setAttribute(node.targets[1], std::move(value));
    }

    Flow runFor(const Node &node, std::string &out)
    {
        const auto iterable = eval(*node.expr);
        // A list (messages, a range()) is walked in place; strings and dicts are listed first.
        List listed;
        if (!iterable.isList())
            listed = located(*node.expr, [&] { return iterate(iterable, "list"); });
        const List *items = iterable.isList() ? &iterable.list() : &listed;
        if (node.filter) { // `for x in xs if cond`: the loop sees only the kept items
            List kept;
            scopes_.emplace_back();
            for (const auto &item : *items) {
                spend(node.offset);
                scopes_.back().clear();
                bind(node, item);
                if (eval(*node.filter).truthy())
                    kept.push_back(item);
            }
            scopes_.pop_back();
            listed = std::move(kept);
            items = &listed;
        }
        if (items->empty())
            return run(node.elseBody, out);
        scopes_.emplace_back(); // one scope, emptied for each iteration
        for (std::size_t i = 0; i < items->size(); ++i) {
            spend(node.offset);
            scopes_.back().clear();
            if (node.bodyNamesLoop)
                scopes_.back().emplace_back("loop", loopObject(*items, i));
            bind(node, (*items)[i]);
            if (run(node.body, out) == Flow::Break)
                break;
        }
        scopes_.pop_back();
        return Flow::Normal;
    }

    void bind(const Node &node, const Value &item)
    {
        if (node.targets.size() == 1) {
            define(scopes_.back(), node.targets[0], item);
            return;
        }
        if (!item.isList() || item.list().size() != node.targets.size())
            throw TemplateError(node.offset, "cannot unpack a " + item.typeName() + " into "
                                                 + std::to_string(node.targets.size()) + " loop variables");
        for (std::size_t i = 0; i < node.targets.size(); ++i)
            define(scopes_.back(), node.targets[i], item.list()[i]);
    }

    Value lookup(const std::string &name) const
    {
        for (auto scope = scopes_.rbegin(); scope != scopes_.rend(); ++scope)
            for (const auto &entry : *scope)
                if (entry.first == name)
                    return entry.second;
        return Value();
    }

    Arguments arguments(const Expr &expr, std::size_t firstOperand)
    {
        Arguments result;
        for (auto i = firstOperand; i < expr.operands.size(); ++i)
            result.positional.push_back(eval(*expr.operands[i]));
        for (const auto &keyword : expr.keywords)
            result.keywords.emplace_back(keyword.first, eval(*keyword.second));
        return result;
    }

    Value eval(const Expr &expr)
    {
        switch (expr.kind) {
        case Expr::Kind::Literal:
            return expr.literal;
        case Expr::Kind::Name:
            return lookup(expr.name);
        case Expr::Kind::List: {
            List items;
            for (const auto &operand : expr.operands)
                items.push_back(eval(*operand));
            return Value(std::move(items));
        }
        case Expr::Kind::Dict: {
            Dict entries;
            for (std::size_t i = 0; i + 1 < expr.operands.size(); i += 2) {
                const auto key = eval(*expr.operands[i]);
                if (!key.isString())
                    fail(*expr.operands[i], "dict keys must be strings, not " + key.typeName());
                auto value = eval(*expr.operands[i + 1]);
                auto existing = std::find_if(entries.begin(), entries.end(),
                                             [&](const auto &entry) { return entry.first == key.string(); });
                if (existing != entries.end())
                    existing->second = std::move(value);
                else
                    entries.emplace_back(key.string(), std::move(value));
            }
            return Value(std::move(entries));
        }
        case Expr::Kind::Attribute:
            return member(expr, eval(*expr.operands[0]), Value(expr.name));
        case Expr::Kind::Item:
            return member(expr, eval(*expr.operands[0]), eval(*expr.operands[1]));
        case Expr::Kind::Slice: {
            const auto object = eval(*expr.operands[0]);
            auto part = [&](std::size_t i) { return expr.operands[i] ? eval(*expr.operands[i]) : Value(); };
            const auto start = part(1), stop = part(2), step = part(3);
            return located(expr, [&] { return sliceValue(object, start, stop, step); });
        }
        case Expr::Kind::Call:
            return call(expr);
        case Expr::Kind::Filter: {
            const auto input = eval(*expr.operands[0]);
            const auto args = arguments(expr, 1);
            return located(expr, [&] { return applyFilter(expr.name, input, args); });
        }
        case Expr::Kind::Test: {
            const auto input = eval(*expr.operands[0]);
            const auto args = arguments(expr, 1);
            return Value(located(expr, [&] { return applyTest(expr.name, input, args); }) != expr.negated);
        }
        case Expr::Kind::Not:
            return Value(!eval(*expr.operands[0]).truthy());
        case Expr::Kind::Negate: {
            const auto value = eval(*expr.operands[0]);
            if (!value.isNumber())
                fail(expr, "cannot negate a " + value.typeName());
            return value.kind() == Value::Kind::Float ? Value(-value.number()) : Value(-value.integer());
        }
        case Expr::Kind::And: {
            auto left = eval(*expr.operands[0]);
            return left.truthy() ? eval(*expr.operands[1]) : left;
        }
        case Expr::Kind::Or: {
            auto left = eval(*expr.operands[0]);
            return left.truthy() ? left : eval(*expr.operands[1]);
        }
        case Expr::Kind::Binary:
            return binaryOperation(expr, eval(*expr.operands[0]), eval(*expr.operands[1]), budget_.bytes);
        case Expr::Kind::Conditional:
            if (eval(*expr.operands[1]).truthy())
                return eval(*expr.operands[0]);
            return expr.operands[2] ? eval(*expr.operands[2]) : Value();
        }
        return Value();
    }

    // obj.name and obj[key]: Jinja2 tries both ways, so either spelling works.
    static Value member(const Expr &at, const Value &object, const Value &key)
    {
        if (object.isUndefined())
            fail(at, "cannot read " + key.repr() + " of an undefined value");
        if (object.isMapping()) {
            const auto *found = key.isString() ? object.find(key.string()) : nullptr;
            return found ? *found : Value();
        }
        if ((object.isList() || object.isString())
            && (key.kind() == Value::Kind::Int || key.kind() == Value::Kind::Bool)) {
            const auto characters = object.isString() ? applyFilter("list", object, {}) : Value();
            const auto &items = object.isList() ? object.list() : characters.list();
            auto index = key.integer();
            if (index < 0)
                index += static_cast<std::int64_t>(items.size());
            if (index < 0 || index >= static_cast<std::int64_t>(items.size()))
                return Value();
            return items[static_cast<std::size_t>(index)];
        }
        return Value(); // None.x, "abc".x: undefined, as in Jinja2
    }

    Value call(const Expr &expr)
    {
        const auto &callee = *expr.operands[0];
        if (callee.kind == Expr::Kind::Name) {
            const auto args = arguments(expr, 1);
            const auto macro = macros_.find(callee.name);
            if (macro != macros_.end())
                return callMacro(expr, *macro->second, args);
            return located(expr, [&] { return callGlobal(callee.name, args); });
        }
        if (callee.kind == Expr::Kind::Attribute) {
            const auto object = eval(*callee.operands[0]);
            const auto args = arguments(expr, 1);
            return located(expr, [&] { return callMethod(object, callee.name, args); });
        }
        fail(expr, "this expression cannot be called");
    }

    // A macro sees the template's top-level names and its parameters, and
    // returns what its body renders.
    Value callMacro(const Expr &at, const Node &macro, const Arguments &args)
    {
        if (args.positional.size() > macro.targets.size())
            fail(at, "macro '" + macro.text + "' takes " + std::to_string(macro.targets.size()) + " arguments, not "
                         + std::to_string(args.positional.size()));
        for (const auto &keyword : args.keywords)
            if (std::find(macro.targets.begin(), macro.targets.end(), keyword.first) == macro.targets.end())
                fail(at, "macro '" + macro.text + "' has no parameter '" + keyword.first + "'");
        if (macroDepth_ >= kMaxMacroDepth)
            fail(at, "macros nest too deeply (a macro calling itself without end?)");
        spend(at.offset);
        Scope parameters;
        for (std::size_t i = 0; i < macro.targets.size(); ++i) {
            const auto &name = macro.targets[i];
            auto value = args.get(i, name.c_str());
            if (value.isUndefined() && macro.defaults[i])
                value = eval(*macro.defaults[i]);
            define(parameters, name, std::move(value));
        }
        std::vector<Scope> macroScopes{scopes_.front(), std::move(parameters)};
        std::swap(scopes_, macroScopes);
        ++macroDepth_;
        std::string out;
        try {
            run(macro.body, out);
        } catch (...) {
            std::swap(scopes_, macroScopes);
            --macroDepth_;
            throw;
        }
        std::swap(scopes_, macroScopes);
        --macroDepth_;
        return Value(std::move(out));
    }

    // One unit of the render budget: a loop iteration (or a loop filter's
    // test) or a macro call, at the loop's or the call's offset.
    void spend(std::size_t offset)
    {
        if (++steps_ > budget_.steps)
            throw TemplateError(offset, "the template takes more than " + std::to_string(budget_.steps)
                                            + " loop iterations and macro calls to render (the render budget; "
                                              "see jinja_interpreter.h)");
    }

    void checkOutput(const Node &node, const std::string &out) const
    {
        if (out.size() > budget_.bytes)
            throw TemplateError(node.offset, "the rendered text grows past " + describeBytes(budget_.bytes)
                                                 + " (the render budget; see jinja_interpreter.h)");
    }

    static constexpr std::size_t kMaxMacroDepth = 200;

    std::vector<Scope> scopes_;
    std::map<std::string, const Node *> macros_;
    std::size_t macroDepth_ = 0;
    RenderBudget budget_;
    std::uint64_t steps_ = 0;
};

} // namespace

std::string render(const Body &body, const Dict &variables, const RenderBudget &budget)
{
    std::string out;
    try {
        Interpreter(variables, budget).run(body, out);
    } catch (const std::bad_alloc &) {
        // Past the budget's checks (a str method on a huge string): Python's MemoryError.
        throw TemplateError(kNoOffset, "out of memory while rendering the template");
    } catch (const std::length_error &) {
        throw TemplateError(kNoOffset, "out of memory while rendering the template");
    }
    return out;
}

} // namespace lwb::jinja
