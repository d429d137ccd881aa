// engine/core/seed_mix.h and trim_whitespace.h against published reference
// values, plus the invariants the callers rely on. Every seeded result of the
// workbench (data order, generated examples, dropout masks, the lexicon
// split) goes through these functions, so a changed bit here changes runs.
// Header-only: this suite links no torch.
#include "engine/core/seed_mix.h"
#include "engine/core/trim_whitespace.h"

#include <QtTest>

#include <set>

class SeedMixTest : public QObject
{
    Q_OBJECT

private slots:
    void splitMix64GeneratorMatchesTheReferenceSequence()
    {
        // Rosetta Code, "Pseudo-random numbers/Splitmix64" (the splitmix64.c
        // of Vigna's prng.di.unimi.it), seed 1234567: the first five outputs.
        lwb::SplitMix64 generator(1234567);
        const std::uint64_t expected[] = {6457827717110365317ULL, 3203168211198807973ULL, 9817491932198370423ULL,
                                          4593380528125082431ULL, 16408922859458223821ULL};
        for (const std::uint64_t value : expected)
            QCOMPARE(generator.next(), value);
    }

    void oneStepIsTheGeneratorsFirstOutput()
    {
        for (const std::uint64_t state : {0ULL, 1ULL, 1234567ULL, ~0ULL}) {
            lwb::SplitMix64 generator(state);
            QCOMPARE(lwb::splitMix64(state), generator.next());
            QCOMPARE(lwb::splitMix64(state), lwb::splitMix64Finalise(state + lwb::kGoldenGamma));
        }
    }

    void finaliserIsUsableAtCompileTime()
    {
        // Same reference value as above, computed by the compiler.
        static_assert(lwb::splitMix64(1234567) == 6457827717110365317ULL);
        static_assert(lwb::fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
    }

    void fnv1a64MatchesTheSpecification()
    {
        // FNV-1a 64-bit values of the FNV authors' test suite (and of
        // Python's own loop over the FNV prime): "" is the offset basis.
        QCOMPARE(lwb::fnv1a64(""), 0xcbf29ce484222325ULL);
        QCOMPARE(lwb::fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
        QCOMPARE(lwb::fnv1a64("foobar"), 0x85944171f73967e8ULL);
        // Bytes above 0x7f hash as unsigned values whatever char's signedness.
        const std::string high("\xe9", 1);
        QCOMPARE(lwb::fnv1a64(high), (0xcbf29ce484222325ULL ^ 0xe9ULL) * 0x100000001b3ULL);
    }

    void streamSeedsOfOneRunDifferInTheirLow32Bits()
    {
        // LibTorch's CPU generator keeps only the low 32 bits of its seed.
        for (const std::uint64_t seed : {0ULL, 42ULL, 0xffffffffULL, ~0ULL}) {
            std::set<std::uint32_t> low;
            for (std::uint64_t step = 0; step < 100000; ++step)
                low.insert(static_cast<std::uint32_t>(lwb::streamSeed(seed, step)));
            QCOMPARE(low.size(), std::size_t(100000));
        }
        QCOMPARE(lwb::streamSeed(42, 0), 42 * lwb::kGoldenGamma + 1);
    }

    void trimRemovesAsciiWhitespaceOnly()
    {
        QCOMPARE(lwb::trimWhitespace(""), std::string());
        QCOMPARE(lwb::trimWhitespace(" \t\r\n"), std::string());
        QCOMPARE(lwb::trimWhitespace("\tbank (noun) \r\n"), std::string("bank (noun)"));
        QCOMPARE(lwb::trimWhitespace("a  b"), std::string("a  b"));
        // U+00A0 (no-break space) belongs to the text.
        QCOMPARE(lwb::trimWhitespace(" \xc2\xa0x\xc2\xa0 "), std::string("\xc2\xa0x\xc2\xa0"));
    }
};

QTEST_APPLESS_MAIN(SeedMixTest)
#include "test_seed_mix.moc"
