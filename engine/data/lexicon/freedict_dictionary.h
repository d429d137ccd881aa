// FreeDictDictionary: an English-to-X FreeDict dictionary in the dictd format
// that Debian's dict-freedict-eng-* packages install under /usr/share/dictd:
//   NAME.index    headword<TAB>offset<TAB>length, both numbers in dictd's
//                 base64 (A-Z a-z 0-9 + /, most significant digit first),
//                 counting bytes of the uncompressed .dict text
//   NAME.dict.dz  the entries, dictzip-compressed (a gzip file with a random
//                 access table in an extra field, so plain gzip reads it)
// Entries whose headword starts with "00-database-" are the dictionary's own
// metadata and are skipped. An entry is plain text: the first line is the
// headword, its pronunciation in slashes and sometimes a part of speech in
// angle brackets; the next line lists the translations (numbered "1. ..",
// "2. .." when there are several senses, alternatives separated by ", ");
// indented lines hold examples ("english"  - translation), notes and
// cross references. Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lwb::lexicon {

struct DictIndexLine
{
    std::string headword;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
};

// dictd's base64 number ("BAK3S" -> its value). Throws on other characters.
std::uint64_t decodeDictNumber(const std::string &digits, const std::string &where);
DictIndexLine parseDictIndexLine(const std::string &line, const std::string &where);

struct DictEntry
{
    std::string headword;
    std::string pronunciation;     // without the slashes; "" when absent
    std::string translation;       // the first alternative of the first sense, annotations removed
    std::int64_t exampleCount = 0; // lines of the form "english"  - translation
};

// Parses one entry's text. Returns false (and leaves `entry` partial) when the
// entry has no usable translation line.
bool parseDictEntry(const std::string &text, DictEntry &entry);

class FreeDictDictionary
{
public:
    // Reads DIR/NAME.index and DIR/NAME.dict.dz (or an uncompressed DIR/NAME.dict).
    // A missing file is an Error naming it and the Debian package to install.
    static FreeDictDictionary load(const std::string &directory, const std::string &name);
    // From in-memory text (tests): the index lines and the uncompressed .dict text.
    static FreeDictDictionary fromText(const std::string &indexText, const std::string &dictText,
                                       const std::string &indexName);

    // Every entry in index order, metadata entries skipped.
    const std::vector<DictEntry> &entries() const { return entries_; }

private:
    std::vector<DictEntry> entries_;
};

// The text of a gzip (or dictzip) file, uncompressed. Throws an Error naming the file.
std::string readGzipFile(const std::string &path);

} // namespace lwb::lexicon
