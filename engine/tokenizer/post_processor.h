// PostProcessor: the "post_processor" of a Hugging Face tokenizer.json, the
// special tokens put around encoded sequences when a caller asks for them
// (tokenizers' encode(..., add_special_tokens=True)); a "Sequence" is read as
// its steps, each applied to the result of the one before.
//
// Steps (the tokenizers crate's processors):
// - TemplateProcessing {single, pair, special_tokens}: the template's pieces
//   in order, $A / $B the sequences, each special token its `ids`;
// - RobertaProcessing {cls, sep}: <s> A </s>, pair <s> A </s> </s> B </s>;
// - BertProcessing {cls, sep}: [CLS] A [SEP], pair [CLS] A [SEP] B [SEP];
// - ByteLevel: changes only offsets, which nothing here reports.
// Without add_special_tokens nothing is added (a pair is A then B).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace lwb {

struct TemplatePiece
{
    bool isSequence = false;     // $A / $B, else special tokens
    bool secondSequence = false; // $B
    std::vector<std::int64_t> ids;
};

struct PostProcessorStep
{
    enum class Kind {
        Template,
        Roberta,
        Bert,
    };
    Kind kind = Kind::Template;
    std::vector<TemplatePiece> single; // Template
    std::vector<TemplatePiece> pair;   // Template
    std::int64_t clsId = 0;            // Roberta, Bert
    std::int64_t sepId = 0;            // Roberta, Bert
};

class PostProcessor
{
public:
    PostProcessor() = default;
    explicit PostProcessor(std::vector<PostProcessorStep> steps);

    bool isIdentity() const { return steps_.empty(); }
    // The ids of one sequence, or of a pair when `second` is given.
    std::vector<std::int64_t> apply(std::vector<std::int64_t> first,
                                    const std::optional<std::vector<std::int64_t>> &second) const;

private:
    std::vector<PostProcessorStep> steps_;
};

} // namespace lwb
