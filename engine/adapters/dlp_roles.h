// The two questions engine/dlp asks about a run's variant, answered here
// where the variant names live (no variant name is compared outside
// engine/adapters and engine/config).
#pragma once

#include <string>

namespace lwb {

struct AdapterConfig;

// This adapter section describes a DLP-LoRA study (adapter.variant "dlp").
bool isDlpStudy(const AdapterConfig &adapter);

// A run of this variant trained one low-rank pair per target layer, which a
// DLP-LoRA library can hold and fuse: plain LoRA. SiRA's experts, ResLoRA's
// shortcuts and a full fine-tune are not such a pair.
bool joinsDlpLibrary(const std::string &variant);

} // namespace lwb
