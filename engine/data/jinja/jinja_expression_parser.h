// ExpressionParser: Jinja expressions by recursive descent, with Jinja2's
// precedence, loosest first:
//   x if c else y | or | and | not | comparisons (== != < <= > >= in, not in)
//   | + - | ~ | * / // % | ** | unary - + | primary with .attr [item] (call),
//   then filters (`|f`), tests (`is [not] t`) and calls, left to right.
// Tuples, chained comparisons (a < b < c) and % formatting are not parsed.
// jinja_parser.cpp's statement parser builds on it.
#pragma once

#include "engine/data/jinja/jinja_token_stream.h"

namespace lwb::jinja {

class ExpressionParser : public TokenStream
{
public:
    using TokenStream::TokenStream;

    ExprPtr parseExpression(); // the whole grammar
    ExprPtr parseOr();         // without the conditional: a for loop's iterable

private:
    ExprPtr parseAnd();
    ExprPtr parseNot();
    ExprPtr parseCompare();
    ExprPtr parseMath1();
    ExprPtr parseConcat();
    ExprPtr parseMath2();
    ExprPtr parsePow();
    ExprPtr parseUnary(bool withFilters);
    ExprPtr parsePrimary();
    ExprPtr parsePostfix(ExprPtr expr);
    ExprPtr parseSubscript(ExprPtr object);
    // Arguments of a call, filter or test: positional, then name=value.
    void parseArguments(Expr &target);
    ExprPtr parseCall(ExprPtr callee);
    ExprPtr parseFilters(ExprPtr expr);
    // Whether a test's single unparenthesised argument follows (`is divisibleby 3`).
    bool startsArgument() const;
};

} // namespace lwb::jinja
