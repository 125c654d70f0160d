#include "core/batch.h"

#include <fmt/format.h>

#include <numeric>

namespace predictwire {

Tensor MergeRows(std::span<const Tensor* const> inputs, int64_t cols) {
  int64_t rows = 0;
  for (const Tensor* input : inputs) rows += input->rows();
  Tensor merged;
  merged.shape = {rows, cols};
  merged.values.reserve(static_cast<size_t>(rows * cols));
  for (const Tensor* input : inputs) {
    merged.values.insert(merged.values.end(), input->values.begin(), input->values.end());
  }
  return merged;
}

absl::Status SplitRows(const Tensor& merged_output, std::span<const int64_t> rows,
                       std::vector<Tensor>* outputs) {
  const int64_t total_rows = std::accumulate(rows.begin(), rows.end(), int64_t{0});
  const size_t values = merged_output.values.size();
  if (total_rows <= 0 || values % static_cast<size_t>(total_rows) != 0 ||
      (!merged_output.shape.empty() && merged_output.shape[0] != total_rows)) {
    return absl::InternalError(
        fmt::format("the model answered {} values for a batch of {} rows", values, total_rows));
  }
  const size_t per_row = values / static_cast<size_t>(total_rows);
  outputs->clear();
  outputs->reserve(rows.size());
  size_t offset = 0;
  for (const int64_t part_rows : rows) {
    Tensor& part = outputs->emplace_back();
    // Keeps the backend's own shape past the row dimension.
    part.shape =
        merged_output.shape.empty() ? std::vector<int64_t>{part_rows} : merged_output.shape;
    if (part.shape.empty()) part.shape = {part_rows};
    part.shape[0] = part_rows;
    const size_t count = per_row * static_cast<size_t>(part_rows);
    part.values.assign(merged_output.values.begin() + static_cast<ptrdiff_t>(offset),
                       merged_output.values.begin() + static_cast<ptrdiff_t>(offset + count));
    offset += count;
  }
  return absl::OkStatus();
}

}  // namespace predictwire
