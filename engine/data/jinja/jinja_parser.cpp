// Recursive descent over jinja_lexer's tokens; see jinja_syntax.h. The
// expression grammar follows Jinja2's precedence, loosest first:
//   x if c else y | or | and | not | comparisons (== != < <= > >= in, not in)
//   | + - | ~ | * / // % | ** | unary - + | primary with .attr [item] (call),
//   then filters (`|f`), tests (`is [not] t`) and calls, applied left to right.
#include "engine/data/jinja/jinja_lexer.h"
#include "engine/data/jinja/jinja_syntax.h"

#include <set>

namespace lwb::jinja {

namespace {

using Kind = Token::Kind;

class Parser
{
public:
    explicit Parser(std::vector<Token> tokens)
        : tokens_(std::move(tokens))
    {
    }

    Body parseAll()
    {
        std::string stop;
        auto body = parseBody({}, stop, 0, "");
        return body;
    }

private:
    const Token &peek(std::size_t ahead = 0) const
    {
        const auto at = std::min(index_ + ahead, tokens_.size() - 1);
        return tokens_[at];
    }
    const Token &next() { return tokens_[std::min(index_++, tokens_.size() - 1)]; }

    bool isOp(const char *op, std::size_t ahead = 0) const
    {
        return peek(ahead).kind == Kind::Operator && peek(ahead).text == op;
    }
    bool isName(const char *name, std::size_t ahead = 0) const
    {
        return peek(ahead).kind == Kind::Name && peek(ahead).text == name;
    }

    [[noreturn]] void fail(const Token &at, const std::string &message) const
    {
        throw TemplateError(at.offset, message);
    }

    static std::string describe(const Token &token)
    {
        switch (token.kind) {
        case Kind::End:
            return "the end of the template";
        case Kind::VariableEnd:
            return "'}}'";
        case Kind::BlockEnd:
            return "'%}'";
        case Kind::Text:
            return "text";
        case Kind::String:
            return "a string";
        default:
            return "'" + token.text + "'";
        }
    }

    void expectOp(const char *op)
    {
        if (!isOp(op))
            fail(peek(), std::string("expected '") + op + "', found " + describe(peek()));
        next();
    }
    std::string expectName()
    {
        if (peek().kind != Kind::Name)
            fail(peek(), "expected a name, found " + describe(peek()));
        return next().text;
    }
    void expectBlockEnd()
    {
        if (peek().kind != Kind::BlockEnd)
            fail(peek(), "expected '%}', found " + describe(peek()));
        next();
    }

    // Parses nodes until a {% keyword %} from `stops`; leaves the tokens after
    // the keyword unread and reports which one it was in `stopped`.
    Body parseBody(
        const std::set<std::string> &stops, std::string &stopped, std::size_t openedAt, const std::string &opener)
    {
        Body body;
        for (;;) {
            const auto &token = peek();
            if (token.kind == Kind::End) {
                if (!stops.empty())
                    throw TemplateError(
                        openedAt, "{% " + opener + " %} is never closed (expected {% " + *stops.rbegin() + " %})");
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
                index_ += 2;
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
            node.body = parseBody({ "endgeneration" }, stopped, node.offset, "generation");
            expectBlockEnd();
        } else if (name == "break" || name == "continue") {
            node.kind = name == "break" ? Node::Kind::Break : Node::Kind::Continue;
            expectBlockEnd();
        } else if (name.rfind("end", 0) == 0 || name == "elif" || name == "else")
            fail(keyword, "{% " + name + " %} without a matching opening tag");
        else
            fail(keyword,
                "unsupported statement {% " + name
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
            auto body = parseBody({ "elif", "else", "endif" }, stopped, openedAt, "if");
            node.branches.emplace_back(std::move(condition), std::move(body));
            if (stopped == "elif") {
                condition = parseExpression();
                expectBlockEnd();
                continue;
            }
            expectBlockEnd();
            if (stopped == "else") {
                node.elseBody = parseBody({ "endif" }, stopped, openedAt, "if");
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
        node.body = parseBody({ "else", "endfor" }, stopped, node.offset, "for");
        expectBlockEnd();
        if (stopped == "else") {
            node.elseBody = parseBody({ "endfor" }, stopped, node.offset, "for");
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
        node.body = parseBody({ "endmacro" }, stopped, node.offset, "macro");
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
        node.body = parseBody({ "endset" }, stopped, node.offset, "set");
        expectBlockEnd();
    }

    static ExprPtr make(Expr::Kind kind, std::size_t offset)
    {
        auto expr = std::make_unique<Expr>();
        expr->kind = kind;
        expr->offset = offset;
        return expr;
    }
    static ExprPtr binary(Expr::Kind kind, std::string op, ExprPtr left, ExprPtr right, std::size_t offset)
    {
        auto expr = make(kind, offset);
        expr->name = std::move(op);
        expr->operands.push_back(std::move(left));
        expr->operands.push_back(std::move(right));
        return expr;
    }

    ExprPtr parseExpression()
    {
        auto value = parseOr();
        while (isName("if")) {
            const auto offset = next().offset;
            auto conditional = make(Expr::Kind::Conditional, offset);
            auto condition = parseOr();
            ExprPtr otherwise;
            if (isName("else")) {
                next();
                otherwise = parseExpression();
            }
            conditional->operands.push_back(std::move(value));
            conditional->operands.push_back(std::move(condition));
            conditional->operands.push_back(std::move(otherwise));
            value = std::move(conditional);
        }
        return value;
    }

    ExprPtr parseOr()
    {
        auto left = parseAnd();
        while (isName("or")) {
            const auto offset = next().offset;
            left = binary(Expr::Kind::Or, "or", std::move(left), parseAnd(), offset);
        }
        return left;
    }

    ExprPtr parseAnd()
    {
        auto left = parseNot();
        while (isName("and")) {
            const auto offset = next().offset;
            left = binary(Expr::Kind::And, "and", std::move(left), parseNot(), offset);
        }
        return left;
    }

    ExprPtr parseNot()
    {
        if (isName("not")) {
            auto expr = make(Expr::Kind::Not, next().offset);
            expr->operands.push_back(parseNot());
            return expr;
        }
        return parseCompare();
    }

    ExprPtr parseCompare()
    {
        auto left = parseMath1();
        for (;;) {
            std::string op;
            const auto offset = peek().offset;
            if (peek().kind == Kind::Operator
                && (peek().text == "==" || peek().text == "!=" || peek().text == "<" || peek().text == "<="
                    || peek().text == ">" || peek().text == ">=")) {
                op = next().text;
            } else if (isName("in")) {
                next();
                op = "in";
            } else if (isName("not") && isName("in", 1)) {
                index_ += 2;
                op = "not in";
            } else {
                return left;
            }
            // Chains (a < b < c) are not supported: Jinja means a < b and b < c.
            auto right = parseMath1();
            left = binary(Expr::Kind::Binary, op, std::move(left), std::move(right), offset);
        }
    }

    ExprPtr parseMath1()
    {
        auto left = parseConcat();
        while (isOp("+") || isOp("-")) {
            const auto &op = next();
            left = binary(Expr::Kind::Binary, op.text, std::move(left), parseConcat(), op.offset);
        }
        return left;
    }

    ExprPtr parseConcat()
    {
        auto left = parseMath2();
        while (isOp("~")) {
            const auto offset = next().offset;
            left = binary(Expr::Kind::Binary, "~", std::move(left), parseMath2(), offset);
        }
        return left;
    }

    ExprPtr parseMath2()
    {
        auto left = parsePow();
        while (isOp("*") || isOp("/") || isOp("//") || isOp("%")) {
            const auto &op = next();
            left = binary(Expr::Kind::Binary, op.text, std::move(left), parsePow(), op.offset);
        }
        return left;
    }

    ExprPtr parsePow()
    {
        auto left = parseUnary(true);
        while (isOp("**")) {
            const auto offset = next().offset;
            left = binary(Expr::Kind::Binary, "**", std::move(left), parseUnary(true), offset);
        }
        return left;
    }

    ExprPtr parseUnary(bool withFilters)
    {
        ExprPtr expr;
        if (isOp("-") || isOp("+")) {
            const auto &op = next();
            auto operand = parseUnary(false);
            if (op.text == "-") {
                expr = make(Expr::Kind::Negate, op.offset);
                expr->operands.push_back(std::move(operand));
            } else {
                expr = std::move(operand);
            }
        } else {
            expr = parsePostfix(parsePrimary());
        }
        return withFilters ? parseFilters(std::move(expr)) : std::move(expr);
    }

    ExprPtr parsePrimary()
    {
        const auto &token = next();
        switch (token.kind) {
        case Kind::Name: {
            const auto &name = token.text;
            if (name == "true" || name == "True" || name == "false" || name == "False") {
                auto expr = make(Expr::Kind::Literal, token.offset);
                expr->literal = Value(name == "true" || name == "True");
                return expr;
            }
            if (name == "none" || name == "None") {
                auto expr = make(Expr::Kind::Literal, token.offset);
                expr->literal = Value::none();
                return expr;
            }
            auto expr = make(Expr::Kind::Name, token.offset);
            expr->name = name;
            return expr;
        }
        case Kind::String: {
            auto expr = make(Expr::Kind::Literal, token.offset);
            std::string text = token.text;
            while (peek().kind == Kind::String) // adjacent literals join, as in Python
                text += next().text;
            expr->literal = Value(std::move(text));
            return expr;
        }
        case Kind::Integer: {
            auto expr = make(Expr::Kind::Literal, token.offset);
            try {
                expr->literal = Value(static_cast<std::int64_t>(std::stoll(token.text)));
            } catch (const std::out_of_range &) {
                fail(token, "integer literal out of range");
            }
            return expr;
        }
        case Kind::Float: {
            auto expr = make(Expr::Kind::Literal, token.offset);
            expr->literal = Value(std::stod(token.text));
            return expr;
        }
        case Kind::Operator:
            if (token.text == "(") {
                auto inner = parseExpression();
                if (isOp(","))
                    fail(peek(), "tuples are not supported (use a list: [a, b])");
                expectOp(")");
                return inner;
            }
            if (token.text == "[") {
                auto list = make(Expr::Kind::List, token.offset);
                while (!isOp("]")) {
                    list->operands.push_back(parseExpression());
                    if (!isOp(","))
                        break;
                    next();
                }
                expectOp("]");
                return list;
            }
            if (token.text == "{") {
                auto dict = make(Expr::Kind::Dict, token.offset);
                while (!isOp("}")) {
                    dict->operands.push_back(parseExpression());
                    expectOp(":");
                    dict->operands.push_back(parseExpression());
                    if (!isOp(","))
                        break;
                    next();
                }
                expectOp("}");
                return dict;
            }
            break;
        default:
            break;
        }
        fail(token, "expected a value, found " + describe(token));
    }

    ExprPtr parsePostfix(ExprPtr expr)
    {
        for (;;) {
            if (isOp(".")) {
                const auto offset = next().offset;
                auto attribute = make(Expr::Kind::Attribute, offset);
                if (peek().kind == Kind::Integer) { // foo.0 is foo[0]
                    attribute->kind = Expr::Kind::Item;
                    auto index = make(Expr::Kind::Literal, peek().offset);
                    index->literal = Value(static_cast<std::int64_t>(std::stoll(next().text)));
                    attribute->operands.push_back(std::move(expr));
                    attribute->operands.push_back(std::move(index));
                } else {
                    attribute->name = expectName();
                    attribute->operands.push_back(std::move(expr));
                }
                expr = std::move(attribute);
            } else if (isOp("[")) {
                expr = parseSubscript(std::move(expr));
            } else if (isOp("(")) {
                expr = parseCall(std::move(expr));
            } else {
                return expr;
            }
        }
    }

    ExprPtr parseSubscript(ExprPtr object)
    {
        const auto offset = next().offset; // [
        ExprPtr parts[3];
        int colons = 0;
        for (;;) {
            if (isOp(":")) {
                if (colons == 2)
                    fail(peek(), "a slice has at most two ':'");
                ++colons;
                next();
                continue;
            }
            if (isOp("]"))
                break;
            if (parts[colons])
                fail(peek(), "expected ':' or ']' in a subscript, found " + describe(peek()));
            parts[colons] = parseExpression();
        }
        expectOp("]");
        if (colons == 0) {
            if (!parts[0])
                fail(peek(), "empty subscript []");
            auto item = make(Expr::Kind::Item, offset);
            item->operands.push_back(std::move(object));
            item->operands.push_back(std::move(parts[0]));
            return item;
        }
        auto slice = make(Expr::Kind::Slice, offset);
        slice->operands.push_back(std::move(object));
        for (auto &part : parts)
            slice->operands.push_back(std::move(part));
        return slice;
    }

    // Arguments of a call, filter or test: positional, then name=value.
    void parseArguments(Expr &target)
    {
        expectOp("(");
        while (!isOp(")")) {
            if (peek().kind == Kind::Name && isOp("=", 1)) {
                auto name = next().text;
                next();
                target.keywords.emplace_back(std::move(name), parseExpression());
            } else {
                if (!target.keywords.empty())
                    fail(peek(), "a positional argument after a keyword argument");
                target.operands.push_back(parseExpression());
            }
            if (!isOp(","))
                break;
            next();
        }
        expectOp(")");
    }

    ExprPtr parseCall(ExprPtr callee)
    {
        auto call = make(Expr::Kind::Call, callee->offset);
        call->operands.push_back(std::move(callee));
        parseArguments(*call);
        return call;
    }

    ExprPtr parseFilters(ExprPtr expr)
    {
        for (;;) {
            if (isOp("|")) {
                next();
                auto filter = make(Expr::Kind::Filter, peek().offset);
                filter->name = expectName();
                filter->operands.push_back(std::move(expr));
                if (isOp("("))
                    parseArguments(*filter);
                expr = std::move(filter);
            } else if (isName("is")) {
                next();
                auto test = make(Expr::Kind::Test, peek().offset);
                if (isName("not")) {
                    next();
                    test->negated = true;
                }
                test->name = expectName();
                test->operands.push_back(std::move(expr));
                if (isOp("(")) {
                    parseArguments(*test);
                } else if (startsArgument()) {
                    test->operands.push_back(parsePostfix(parsePrimary()));
                }
                expr = std::move(test);
            } else {
                return expr;
            }
        }
    }

    // Whether a test's single unparenthesised argument follows (`is divisibleby 3`).
    bool startsArgument() const
    {
        const auto &token = peek();
        if (token.kind == Kind::String || token.kind == Kind::Integer || token.kind == Kind::Float)
            return true;
        if (token.kind == Kind::Name)
            return token.text != "else" && token.text != "or" && token.text != "and" && token.text != "if"
                && token.text != "in" && token.text != "not" && token.text != "is";
        return token.kind == Kind::Operator && (token.text == "[" || token.text == "{");
    }

    std::vector<Token> tokens_;
    std::size_t index_ = 0;
};

} // namespace

Body parseTemplate(const std::string &source)
{
    return Parser(tokenize(source)).parseAll();
}

} // namespace lwb::jinja
