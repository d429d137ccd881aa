// JsonReader: reads one JSON object of a config into C++ fields and records,
// instead of throwing at the first one, every problem with its JSON path.
//
// Each read*() leaves the field at its default when the key is absent, checks
// type and range when present, and marks the key as known. finish() then
// reports the keys nobody read: unknown keys are errors, because a misspelt
// hyperparameter that is silently ignored is how wrong numbers get published.
#pragma once

#include "engine/config/config_error.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace lwb {

class JsonReader
{
public:
    JsonReader(const nlohmann::json &object, std::string path, std::vector<ConfigIssue> &issues);

    bool has(const char *key) const;
    void readInt(const char *key, std::int64_t &field, std::int64_t min, std::int64_t max);
    void readNumber(const char *key, double &field, double min, double max, bool minExclusive = false);
    void readBool(const char *key, bool &field);
    void readString(const char *key, std::string &field, const std::vector<std::string> &allowed = {});
    void readStringList(const char *key, std::vector<std::string> &field, bool allowEmpty = false);

    // A nested object; a missing key gives an empty object (all defaults).
    JsonReader child(const char *key);
    // An array of objects, one reader per item (paths "key[i]"); a missing
    // key gives none, a non-array or a non-object item is recorded.
    std::vector<JsonReader> childList(const char *key);
    // Marks a key as handled by someone else (e.g. a variant-specific section).
    void skip(const char *key);

    // Records an issue at this object's path + key.
    void fail(const char *key, const std::string &reason);
    // Records every key that was never read as unknown.
    void finish();

    const std::string &path() const { return path_; }

private:
    const nlohmann::json *value(const char *key);
    std::string keyPath(const char *key) const;

    nlohmann::json object_;
    std::string path_;
    std::vector<ConfigIssue> *issues_;
    std::set<std::string> seen_;
};

} // namespace lwb
