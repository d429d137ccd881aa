// See jinja_expression_parser.h.
#include "engine/data/jinja/jinja_expression_parser.h"

#include <cstdlib>

namespace lwb::jinja {

namespace {

ExprPtr make(Expr::Kind kind, std::size_t offset)
{
    auto expr = std::make_unique<Expr>();
    expr->kind = kind;
    expr->offset = offset;
    return expr;
}
ExprPtr binary(Expr::Kind kind, std::string op, ExprPtr left, ExprPtr right, std::size_t offset)
{
    auto expr = make(kind, offset);
    expr->name = std::move(op);
    expr->operands.push_back(std::move(left));
    expr->operands.push_back(std::move(right));
    return expr;
}

} // namespace

ExprPtr ExpressionParser::parseExpression()
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

ExprPtr ExpressionParser::parseOr()
{
    auto left = parseAnd();
    while (isName("or")) {
        const auto offset = next().offset;
        left = binary(Expr::Kind::Or, "or", std::move(left), parseAnd(), offset);
    }
    return left;
}

ExprPtr ExpressionParser::parseAnd()
{
    auto left = parseNot();
    while (isName("and")) {
        const auto offset = next().offset;
        left = binary(Expr::Kind::And, "and", std::move(left), parseNot(), offset);
    }
    return left;
}

ExprPtr ExpressionParser::parseNot()
{
    if (isName("not")) {
        auto expr = make(Expr::Kind::Not, next().offset);
        expr->operands.push_back(parseNot());
        return expr;
    }
    return parseCompare();
}

ExprPtr ExpressionParser::parseCompare()
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
            skip(2);
            op = "not in";
        } else {
            return left;
        }
        // Chains (a < b < c) are not supported: Jinja means a < b and b < c.
        auto right = parseMath1();
        left = binary(Expr::Kind::Binary, op, std::move(left), std::move(right), offset);
    }
}

ExprPtr ExpressionParser::parseMath1()
{
    auto left = parseConcat();
    while (isOp("+") || isOp("-")) {
        const auto &op = next();
        left = binary(Expr::Kind::Binary, op.text, std::move(left), parseConcat(), op.offset);
    }
    return left;
}

ExprPtr ExpressionParser::parseConcat()
{
    auto left = parseMath2();
    while (isOp("~")) {
        const auto offset = next().offset;
        left = binary(Expr::Kind::Binary, "~", std::move(left), parseMath2(), offset);
    }
    return left;
}

ExprPtr ExpressionParser::parseMath2()
{
    auto left = parsePow();
    while (isOp("*") || isOp("/") || isOp("//") || isOp("%")) {
        const auto &op = next();
        left = binary(Expr::Kind::Binary, op.text, std::move(left), parsePow(), op.offset);
    }
    return left;
}

ExprPtr ExpressionParser::parsePow()
{
    auto left = parseUnary(true);
    while (isOp("**")) {
        const auto offset = next().offset;
        left = binary(Expr::Kind::Binary, "**", std::move(left), parseUnary(true), offset);
    }
    return left;
}

ExprPtr ExpressionParser::parseUnary(bool withFilters)
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

ExprPtr ExpressionParser::parsePrimary()
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
        // strtod, not stod: Python reads 5e-324 and 1e400 (inf) where stod throws.
        expr->literal = Value(std::strtod(token.text.c_str(), nullptr));
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

ExprPtr ExpressionParser::parsePostfix(ExprPtr expr)
{
    for (;;) {
        if (isOp(".")) {
            const auto offset = next().offset;
            auto attribute = make(Expr::Kind::Attribute, offset);
            if (peek().kind == Kind::Integer) { // foo.0 is foo[0]
                attribute->kind = Expr::Kind::Item;
                auto index = make(Expr::Kind::Literal, peek().offset);
                const auto digits = next();
                try {
                    index->literal = Value(static_cast<std::int64_t>(std::stoll(digits.text)));
                } catch (const std::out_of_range &) { // found by tests/fuzz: stoll escaped
                    fail(digits, "integer literal out of range");
                }
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

ExprPtr ExpressionParser::parseSubscript(ExprPtr object)
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

void ExpressionParser::parseArguments(Expr &target)
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

ExprPtr ExpressionParser::parseCall(ExprPtr callee)
{
    auto call = make(Expr::Kind::Call, callee->offset);
    call->operands.push_back(std::move(callee));
    parseArguments(*call);
    return call;
}

ExprPtr ExpressionParser::parseFilters(ExprPtr expr)
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

bool ExpressionParser::startsArgument() const
{
    const auto &token = peek();
    if (token.kind == Kind::String || token.kind == Kind::Integer || token.kind == Kind::Float)
        return true;
    if (token.kind == Kind::Name)
        return token.text != "else" && token.text != "or" && token.text != "and" && token.text != "if"
               && token.text != "in" && token.text != "not" && token.text != "is";
    return token.kind == Kind::Operator && (token.text == "[" || token.text == "{");
}

} // namespace lwb::jinja
