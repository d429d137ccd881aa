// Recursive descent over jinja_lexer's tokens for the statements (see
// jinja_syntax.h); expressions are jinja_expression_parser's.
#include "engine/data/jinja/jinja_expression_parser.h"
#include "engine/data/jinja/jinja_syntax.h"

#include <algorithm>
#include <set>

namespace lwb::jinja {

namespace {

bool namesLoop(const Body &body);

// Whether `loop` is read anywhere in an expression. A superset is safe (the
// loop object is then built and not read); missing a use is not.
bool namesLoop(const Expr *expr)
{
    if (!expr)
        return false;
    if (expr->kind == Expr::Kind::Name && expr->name == "loop")
        return true;
    for (const auto &operand : expr->operands)
        if (namesLoop(operand.get()))
            return true;
    for (const auto &keyword : expr->keywords)
        if (namesLoop(keyword.second.get()))
            return true;
    return false;
}

// The same over statements, nested ones included: `loop` in an inner loop's
// iterable, filter or else branch is the outer loop's. A macro body is
// searched too, although a macro cannot see the loop it is defined in.
bool namesLoop(const Body &body)
{
    for (const auto &node : body) {
        if (std::find(node.targets.begin(), node.targets.end(), "loop") != node.targets.end()) // set loop.x
            return true;
        if (namesLoop(node.expr.get()) || namesLoop(node.filter.get()) || namesLoop(node.body)
            || namesLoop(node.elseBody))
            return true;
        for (const auto &branch : node.branches)
            if (namesLoop(branch.first.get()) || namesLoop(branch.second))
                return true;
        for (const auto &fallback : node.defaults)
            if (namesLoop(fallback.get()))
                return true;
    }
    return false;
}

class Parser : public ExpressionParser
{
public:
    using ExpressionParser::ExpressionParser;

    Body parseAll()
    {
        std::string stop;
        return parseBody({}, stop, 0, "");
    }

private:
    // Parses nodes until a {% keyword %} from `stops`; leaves the tokens after
    // the keyword unread and reports which one it was in `stopped`.
    Body parseBody(const std::set<std::string> &stops, std::string &stopped, std::size_t openedAt,
                   const std::string &opener)
    {
        Body body;
        for (;;) {
            const auto &token = peek();
            if (token.kind == Kind::End) {
                if (!stops.empty())
                    throw TemplateError(openedAt, "{% " + opener + " %} is never closed (expected {% " + *stops.rbegin()
                                                      + " %})");
                return body;
            }
            if (token.kind == Kind::Text) {
                Node node;
                node.kind = Node::Kind::Text;
                node.offset = token.offset;
                node.text = next().text;
                body.push_back(std::move(node));
                continue;
            }
            if (token.kind == Kind::VariableBegin) {
                Node node;
                node.kind = Node::Kind::Output;
                node.offset = next().offset;
                node.expr = parseExpression();
                if (peek().kind != Kind::VariableEnd)
                    fail(peek(), "expected '}}', found " + describe(peek()));
                next();
                body.push_back(std::move(node));
                continue;
            }
            if (token.kind != Kind::BlockBegin)
                fail(token, "unexpected " + describe(token));
            const auto &keyword = peek(1);
            if (keyword.kind != Kind::Name)
                fail(keyword, "expected a statement name after '{%', found " + describe(keyword));
            if (stops.count(keyword.text)) {
                skip(2);
                stopped = keyword.text;
                return body;
            }
            body.push_back(parseStatement());
        }
    }

    Node parseStatement()
    {
        next(); // {%
        const auto &keyword = next();
        Node node;
        node.offset = keyword.offset;
        const auto &name = keyword.text;
        if (name == "if")
            parseIf(node);
        else if (name == "for")
            parseFor(node);
        else if (name == "set")
            parseSet(node);
        else if (name == "macro")
            parseMacro(node);
        else if (name == "generation") {
            node.kind = Node::Kind::Generation;
            expectBlockEnd();
            std::string stopped;
            node.body = parseBody({"endgeneration"}, stopped, node.offset, "generation");
            expectBlockEnd();
        } else if (name == "break" || name == "continue") {
            node.kind = name == "break" ? Node::Kind::Break : Node::Kind::Continue;
            expectBlockEnd();
        } else if (name.rfind("end", 0) == 0 || name == "elif" || name == "else")
            fail(keyword, "{% " + name + " %} without a matching opening tag");
        else
            fail(keyword, "unsupported statement {% " + name
                              + " %} (supported: if, for, set, macro, break, continue, generation)");
        return node;
    }

    void parseIf(Node &node)
    {
        node.kind = Node::Kind::If;
        const auto openedAt = node.offset;
        auto condition = parseExpression();
        expectBlockEnd();
        for (;;) {
            std::string stopped;
            auto body = parseBody({"elif", "else", "endif"}, stopped, openedAt, "if");
            node.branches.emplace_back(std::move(condition), std::move(body));
            if (stopped == "elif") {
                condition = parseExpression();
                expectBlockEnd();
                continue;
            }
            expectBlockEnd();
            if (stopped == "else") {
                node.elseBody = parseBody({"endif"}, stopped, openedAt, "if");
                expectBlockEnd();
            }
            return;
        }
    }

    void parseFor(Node &node)
    {
        node.kind = Node::Kind::For;
        node.targets.push_back(expectName());
        while (isOp(",")) {
            next();
            node.targets.push_back(expectName());
        }
        if (!isName("in"))
            fail(peek(), "expected 'in' in a for loop, found " + describe(peek()));
        next();
        node.expr = parseOr(); // no bare `x if c`: that `if` filters the loop
        if (isName("if")) {
            next();
            node.filter = parseExpression();
        }
        if (isName("recursive"))
            fail(peek(), "recursive for loops are not supported");
        expectBlockEnd();
        std::string stopped;
        node.body = parseBody({"else", "endfor"}, stopped, node.offset, "for");
        node.bodyNamesLoop = namesLoop(node.body);
        expectBlockEnd();
        if (stopped == "else") {
            node.elseBody = parseBody({"endfor"}, stopped, node.offset, "for");
            expectBlockEnd();
        }
    }

    void parseMacro(Node &node)
    {
        node.kind = Node::Kind::Macro;
        node.text = expectName();
        expectOp("(");
        while (!isOp(")")) {
            node.targets.push_back(expectName());
            ExprPtr fallback;
            if (isOp("=")) {
                next();
                fallback = parseExpression();
            } else if (!node.defaults.empty() && node.defaults.back()) {
                fail(peek(), "a parameter without a default after one with a default");
            }
            node.defaults.push_back(std::move(fallback));
            if (!isOp(","))
                break;
            next();
        }
        expectOp(")");
        expectBlockEnd();
        std::string stopped;
        node.body = parseBody({"endmacro"}, stopped, node.offset, "macro");
        expectBlockEnd();
    }

    void parseSet(Node &node)
    {
        node.targets.push_back(expectName());
        if (isOp(".")) {
            next();
            node.targets.push_back(expectName());
        }
        if (isOp(","))
            fail(peek(), "unpacking several names in {% set %} is not supported");
        if (isOp("=")) {
            next();
            node.kind = Node::Kind::Set;
            node.expr = parseExpression();
            expectBlockEnd();
            return;
        }
        if (peek().kind != Kind::BlockEnd)
            fail(peek(), "expected '=' or '%}' in {% set %}, found " + describe(peek()));
        next();
        node.kind = Node::Kind::SetBlock;
        std::string stopped;
        node.body = parseBody({"endset"}, stopped, node.offset, "set");
        expectBlockEnd();
    }
};

} // namespace

Body parseTemplate(const std::string &source)
{
    return Parser(tokenize(source)).parseAll();
}

} // namespace lwb::jinja
