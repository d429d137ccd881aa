// UnicodeNormalizer over ICU's Normalizer2 (see unicode_normalizer.h).
#include "engine/tokenizer/unicode_normalizer.h"

#include <unicode/normalizer2.h>
#include <unicode/uniset.h>
#include <unicode/unistr.h>

#include <memory>
#include <stdexcept>

namespace lwb {

namespace {

const icu::Normalizer2 &unfilteredInstanceFor(UnicodeForm form)
{
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2 *instance = nullptr;
    switch (form) {
    case UnicodeForm::Nfc:
        instance = icu::Normalizer2::getNFCInstance(status);
        break;
    case UnicodeForm::Nfd:
        instance = icu::Normalizer2::getNFDInstance(status);
        break;
    case UnicodeForm::Nfkc:
        instance = icu::Normalizer2::getNFKCInstance(status);
        break;
    case UnicodeForm::Nfkd:
        instance = icu::Normalizer2::getNFKDInstance(status);
        break;
    }
    if (U_FAILURE(status) || instance == nullptr)
        throw std::runtime_error(std::string("ICU normalizer unavailable: ") + u_errorName(status));
    return *instance;
}

// The characters Hugging Face's normalization tables know (the header says
// why), frozen: const use from many threads is then safe.
const icu::UnicodeSet &unicode9Characters()
{
    static const icu::UnicodeSet *const characters = [] {
        UErrorCode status = U_ZERO_ERROR;
        auto set = std::make_unique<icu::UnicodeSet>(icu::UnicodeString(u"[:age=9.0:]"), status);
        if (U_FAILURE(status))
            throw std::runtime_error(std::string("ICU Unicode 9.0 character set unavailable: ") + u_errorName(status));
        set->freeze();
        return set.release(); // kept to the end, as ICU keeps its normalizers
    }();
    return *characters;
}

const icu::Normalizer2 &instanceFor(UnicodeForm form)
{
    static const icu::FilteredNormalizer2 nfc(unfilteredInstanceFor(UnicodeForm::Nfc), unicode9Characters());
    static const icu::FilteredNormalizer2 nfd(unfilteredInstanceFor(UnicodeForm::Nfd), unicode9Characters());
    static const icu::FilteredNormalizer2 nfkc(unfilteredInstanceFor(UnicodeForm::Nfkc), unicode9Characters());
    static const icu::FilteredNormalizer2 nfkd(unfilteredInstanceFor(UnicodeForm::Nfkd), unicode9Characters());
    switch (form) {
    case UnicodeForm::Nfc:
        return nfc;
    case UnicodeForm::Nfd:
        return nfd;
    case UnicodeForm::Nfkc:
        return nfkc;
    case UnicodeForm::Nfkd:
        break;
    }
    return nfkd;
}

} // namespace

UnicodeNormalizer::UnicodeNormalizer(std::vector<UnicodeForm> steps)
    : steps_(std::move(steps))
{
    for (const UnicodeForm form : steps_)
        instanceFor(form); // fail at load time, not at the first encode
}

std::string UnicodeNormalizer::normalize(const std::string &text) const
{
    if (steps_.empty())
        return text;
    icu::UnicodeString current = icu::UnicodeString::fromUTF8(text);
    bool changed = false;
    for (const UnicodeForm form : steps_) {
        const icu::Normalizer2 &normalizer = instanceFor(form);
        UErrorCode status = U_ZERO_ERROR;
        if (normalizer.isNormalized(current, status) && U_SUCCESS(status))
            continue;
        status = U_ZERO_ERROR;
        icu::UnicodeString next = normalizer.normalize(current, status);
        if (U_FAILURE(status))
            throw std::runtime_error(std::string("ICU normalization failed: ") + u_errorName(status));
        current = std::move(next);
        changed = true;
    }
    if (!changed)
        return text;
    std::string out;
    current.toUTF8String(out);
    return out;
}

} // namespace lwb
