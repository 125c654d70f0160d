#ifndef PREDICTWIRE_CORE_BATCH_H_
#define PREDICTWIRE_CORE_BATCH_H_

// Dynamic batching's two pure steps, apart from the scheduler's threads so they can be tested
// alone: requests' rows stacked into one backend input, and its output cut back per request.

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "core/tensor.h"

namespace predictwire {

// The rows of every tensor in `inputs`, in order, as one [total rows, cols] tensor. Every input
// must have `cols` columns (the scheduler only merges requests of one shape).
Tensor MergeRows(std::span<const Tensor* const> inputs, int64_t cols);

// Cuts `merged_output`, the answer to a merged input whose parts had `rows[i]` rows each, back
// into one output per part (shape [rows[i]] for a one-value-per-row output, [rows[i], k] for k
// values per row). Internal error when the output's size is not a whole number of values per
// input row, which a backend must never produce.
absl::Status SplitRows(const Tensor& merged_output, std::span<const int64_t> rows,
                       std::vector<Tensor>* outputs);

}  // namespace predictwire

#endif  // PREDICTWIRE_CORE_BATCH_H_
