// See freedict_dictionary.h. The .dict.dz files are decompressed whole with
// zlib: the largest (English-German) is about 60 MB of text, read once per
// build, so dictzip's random access would buy nothing here.
#include "engine/data/lexicon/freedict_dictionary.h"

#include "engine/core/error.h"
#include "engine/core/trim_whitespace.h"

#include <zlib.h>

#include <fstream>
#include <sstream>

namespace lwb::lexicon {

namespace {

// Removes annotations: <neut>, <v, intr>, [econ.], [Am.] and collapses spaces.
std::string stripAnnotations(const std::string &text)
{
    std::string out;
    int angle = 0, square = 0;
    for (const char c : text) {
        if (c == '<')
            ++angle;
        else if (c == '>' && angle > 0)
            --angle;
        else if (c == '[')
            ++square;
        else if (c == ']' && square > 0)
            --square;
        else if (angle == 0 && square == 0)
            out += c;
    }
    std::string collapsed;
    for (const char c : out) {
        if (c == ' ' && (collapsed.empty() || collapsed.back() == ' '))
            continue;
        collapsed += c;
    }
    return trimWhitespace(collapsed);
}

std::string readFile(const std::string &path)
{
    std::ifstream file(path, std::ios::binary);
    std::ostringstream content;
    content << file.rdbuf();
    return content.str();
}

bool exists(const std::string &path)
{
    return std::ifstream(path).good();
}

std::string packageFor(const std::string &name)
{
    // freedict-eng-deu -> dict-freedict-eng-deu
    return "dict-" + name;
}

} // namespace

std::uint64_t decodeDictNumber(const std::string &digits, const std::string &where)
{
    static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (digits.empty() || digits.size() > 10)
        throw Error(where, "\"" + digits + "\" is not a dictd base64 number (1 to 10 digits)");
    std::uint64_t value = 0;
    for (const char c : digits) {
        const auto digit = kAlphabet.find(c);
        if (digit == std::string::npos)
            throw Error(where, std::string("'") + c + "' is not a dictd base64 digit in \"" + digits + "\"");
        value = value * 64 + digit;
    }
    return value;
}

DictIndexLine parseDictIndexLine(const std::string &line, const std::string &where)
{
    const auto firstTab = line.find('\t');
    const auto secondTab = firstTab == std::string::npos ? std::string::npos : line.find('\t', firstTab + 1);
    if (secondTab == std::string::npos || line.find('\t', secondTab + 1) != std::string::npos)
        throw Error(where, "expected three tab-separated fields: headword, offset, length");
    DictIndexLine parsed;
    parsed.headword = line.substr(0, firstTab);
    parsed.offset = decodeDictNumber(line.substr(firstTab + 1, secondTab - firstTab - 1), where);
    parsed.length = decodeDictNumber(line.substr(secondTab + 1), where);
    return parsed;
}

bool parseDictEntry(const std::string &text, DictEntry &entry)
{
    std::istringstream in(text);
    std::string line;
    if (!std::getline(in, line))
        return false;
    // "run /ɹˈʌn/ (ran /ɹˈan/ <>, run /ɹˈʌn/ <>) <v>": headword, then the first /pronunciation/.
    const auto slash = line.find('/');
    entry.headword = trimWhitespace(slash == std::string::npos ? stripAnnotations(line) : line.substr(0, slash));
    if (slash != std::string::npos) {
        const auto close = line.find('/', slash + 1);
        if (close != std::string::npos)
            entry.pronunciation = line.substr(slash + 1, close - slash - 1);
    }
    std::string senses;
    while (std::getline(in, line)) {
        if (trimWhitespace(line).empty())
            continue;
        if (!senses.empty() && (line[0] == ' ' || line[0] == '\t')) {
            const auto content = trimWhitespace(line);
            if (content.size() > 1 && content[0] == '"' && content.find("\"  - ") != std::string::npos)
                ++entry.exampleCount;
            continue;
        }
        if (senses.empty()) {
            senses = trimWhitespace(line);
            continue;
        }
        // Further unindented lines continue a numbered sense list ("2. ...").
        if (senses.rfind("1. ", 0) == 0 && line.size() > 2 && std::isdigit(static_cast<unsigned char>(line[0])))
            continue;
    }
    if (senses.rfind("1. ", 0) == 0)
        senses = senses.substr(3);
    // The first alternative: up to the first ", " or "; " outside brackets.
    std::string first;
    int depth = 0;
    for (std::size_t i = 0; i < senses.size(); ++i) {
        const char c = senses[i];
        if (c == '<' || c == '[' || c == '(')
            ++depth;
        else if ((c == '>' || c == ']' || c == ')') && depth > 0)
            --depth;
        else if (depth == 0 && (c == ',' || c == ';'))
            break;
        first += c;
    }
    entry.translation = stripAnnotations(first);
    return !entry.headword.empty() && !entry.translation.empty();
}

FreeDictDictionary FreeDictDictionary::fromText(const std::string &indexText, const std::string &dictText,
                                                const std::string &indexName)
{
    FreeDictDictionary dictionary;
    std::istringstream in(indexText);
    std::string line;
    std::int64_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (line.empty())
            continue;
        const auto where = indexName + ":" + std::to_string(number);
        const auto parsed = parseDictIndexLine(line, where);
        if (parsed.headword.rfind("00-database-", 0) == 0 || parsed.headword.rfind("00database", 0) == 0)
            continue;
        if (parsed.offset + parsed.length > dictText.size())
            throw Error(where, "entry \"" + parsed.headword + "\" (offset " + std::to_string(parsed.offset)
                                   + ", length " + std::to_string(parsed.length)
                                   + ") lies beyond the end of the dictionary text (" + std::to_string(dictText.size())
                                   + " bytes)");
        DictEntry entry;
        if (parseDictEntry(dictText.substr(parsed.offset, parsed.length), entry)) {
            entry.headword = parsed.headword; // the index spelling is the one to look words up by
            dictionary.entries_.push_back(std::move(entry));
        }
    }
    return dictionary;
}

FreeDictDictionary FreeDictDictionary::load(const std::string &directory, const std::string &name)
{
    const auto indexPath = directory + "/" + name + ".index";
    const auto hint = "install the Debian package " + packageFor(name) + " (apt-get install " + packageFor(name) + ")";
    if (!exists(indexPath))
        throw Error(indexPath, "cannot open the FreeDict index: " + hint);
    std::string dictText;
    if (exists(directory + "/" + name + ".dict.dz"))
        dictText = readGzipFile(directory + "/" + name + ".dict.dz");
    else if (exists(directory + "/" + name + ".dict"))
        dictText = readFile(directory + "/" + name + ".dict");
    else
        throw Error(directory + "/" + name + ".dict.dz", "cannot open the FreeDict dictionary: " + hint);
    return fromText(readFile(indexPath), dictText, indexPath);
}

std::string readGzipFile(const std::string &path)
{
    gzFile file = gzopen(path.c_str(), "rb");
    if (!file)
        throw Error(path, "cannot open (missing or unreadable)");
    std::string text;
    char buffer[1 << 16];
    while (true) {
        const int got = gzread(file, buffer, sizeof buffer);
        if (got < 0) {
            int code = 0;
            const std::string message = gzerror(file, &code);
            gzclose(file);
            throw Error(path, "not a valid gzip/dictzip file: " + message);
        }
        if (got == 0)
            break;
        text.append(buffer, static_cast<std::size_t>(got));
    }
    // zlib reports a stream cut short only through gzerror (Z_BUF_ERROR), not through gzread's result.
    int code = Z_OK;
    const std::string message = gzerror(file, &code);
    gzclose(file);
    if (code != Z_OK)
        throw Error(path, "not a valid gzip/dictzip file: " + message + " (truncated or damaged)");
    return text;
}

} // namespace lwb::lexicon
