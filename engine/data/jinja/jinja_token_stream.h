// TokenStream: the parser's cursor over jinja_lexer's tokens, with the
// checks that turn an unexpected token into a TemplateError at its offset.
#pragma once

#include "engine/data/jinja/jinja_lexer.h"
#include "engine/data/jinja/jinja_syntax.h"

#include <algorithm>
#include <string>
#include <vector>

namespace lwb::jinja {

class TokenStream
{
public:
    explicit TokenStream(std::vector<Token> tokens)
        : tokens_(std::move(tokens))
    {
    }

    using Kind = Token::Kind;

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

    void skip(std::size_t count) { index_ += count; }

private:
    std::vector<Token> tokens_;
    std::size_t index_ = 0;
};

} // namespace lwb::jinja
