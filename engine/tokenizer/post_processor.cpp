// PostProcessor: templates and the Roberta/Bert layouts (see post_processor.h).
//
// A step of a Sequence sees the previous step's output as its sequences, as
// the crate's Sequence processor passes its encodings along.
#include "engine/tokenizer/post_processor.h"

namespace lwb {

namespace {

void append(std::vector<std::int64_t> &out, const std::vector<std::int64_t> &ids)
{
    out.insert(out.end(), ids.begin(), ids.end());
}

} // namespace

PostProcessor::PostProcessor(std::vector<PostProcessorStep> steps)
    : steps_(std::move(steps))
{
}

std::vector<std::int64_t> PostProcessor::apply(std::vector<std::int64_t> first,
                                               const std::optional<std::vector<std::int64_t>> &second) const
{
    std::optional<std::vector<std::int64_t>> pending = second;
    for (const PostProcessorStep &step : steps_) {
        std::vector<std::int64_t> out;
        switch (step.kind) {
        case PostProcessorStep::Kind::Template:
            for (const TemplatePiece &piece : pending ? step.pair : step.single) {
                if (!piece.isSequence)
                    append(out, piece.ids);
                else if (!piece.secondSequence)
                    append(out, first);
                else if (pending)
                    append(out, *pending);
            }
            break;
        case PostProcessorStep::Kind::Roberta:
        case PostProcessorStep::Kind::Bert:
            out.push_back(step.clsId);
            append(out, first);
            out.push_back(step.sepId);
            if (pending) {
                if (step.kind == PostProcessorStep::Kind::Roberta)
                    out.push_back(step.sepId);
                append(out, *pending);
                out.push_back(step.sepId);
            }
            break;
        }
        first = std::move(out);
        pending.reset(); // the pair is one sequence from here on
    }
    if (pending)
        append(first, *pending);
    return first;
}

} // namespace lwb
