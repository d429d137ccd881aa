// serdeJsonFloat: the f64 that Rust's serde_json (default features, as the
// tokenizers crate builds it) reads for a JSON number, which is not always
// the correctly rounded value nlohmann_json's strtod gives: serde_json
// gathers the decimal digits into a u64 significand and then does one f64
// multiply or divide by a power of ten (f64_from_parts), two roundings that
// leave the result one unit in the last place off for about one score in
// thirteen of a trained Unigram vocabulary (measured on
// tests/tokenizer_peer/fixtures/synthetic-unigram, tokenizers 0.23.3).
// Unigram's Viterbi compares sums of these scores, so ties need the crate's
// exact values.
//
// The number's text is not kept by the JSON reader; it is recovered as the
// shortest decimal that reads back as `correctlyRounded` (std::to_chars),
// which is the text tokenizers and Python write (both shortest round-trip).
// A file whose numbers carry more digits than that may read differently.
#pragma once

namespace lwb {

double serdeJsonFloat(double correctlyRounded);

} // namespace lwb
