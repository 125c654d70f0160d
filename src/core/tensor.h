#ifndef PREDICTWIRE_CORE_TENSOR_H_
#define PREDICTWIRE_CORE_TENSOR_H_

#include <cstdint>
#include <vector>

namespace predictwire {

// A dense, row-major float32 tensor: the one data shape every backend consumes and produces.
// Codecs convert wire formats (JSON numbers, v2 datatypes, binary floats) to and from it.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> values;

  // For a request matrix of shape [rows, cols] (or a single row of shape [cols]).
  int64_t rows() const { return shape.size() >= 2 ? shape[0] : 1; }
  int64_t cols() const { return shape.empty() ? 0 : shape.back(); }
};

}  // namespace predictwire

#endif  // PREDICTWIRE_CORE_TENSOR_H_
