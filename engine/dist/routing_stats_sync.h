// The routing statistics of one step over all ranks (SiRA, DLP-LoRA layers):
// token counts summed; expert load and the two entropies averaged with each
// rank's routed-assignment count as weight; auxiliary losses averaged over
// ranks, as the objective averages them. The entropy of the mean router
// distribution is not exactly mergeable from per-rank values: the weighted
// mean of the ranks' values is reported (a lower bound of the global one,
// entropy being concave), and engine/dist/README.md says so.
#pragma once

#include "engine/adapters/adapter_stats.h"
#include "engine/dist/communicator.h"

namespace lwb {

void mergeRoutingStats(AdapterStats &stats, Communicator &communicator);

} // namespace lwb
