// The Jinja lexer: template source to tokens, applying whitespace control
// (`{%-`, `-%}`, `+`) and Hugging Face's trim_blocks / lstrip_blocks while
// it cuts the text between tags (see jinja_syntax.h). Comments vanish here.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace lwb::jinja {

struct Token
{
    enum class Kind {
        Text,
        VariableBegin, // {{
        VariableEnd,   // }}
        BlockBegin,    // {%
        BlockEnd,      // %}
        Name,
        String, // text holds the unescaped value
        Integer,
        Float,
        Operator, // punctuation and operators: ( ) [ ] { } . , : | ~ + - * / // % ** = == != < <= > >=
        End,
    };
    Kind kind;
    std::string text;
    std::size_t offset; // into the template source
};

// Throws TemplateError (jinja_syntax.h) for an unclosed tag, string or
// comment and for characters no expression uses.
std::vector<Token> tokenize(const std::string &source);

} // namespace lwb::jinja
