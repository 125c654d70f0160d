#include "core/batch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace predictwire {
namespace {

using ::testing::ElementsAre;

Tensor Matrix(int64_t rows, int64_t cols, std::vector<float> values) {
  return Tensor{{rows, cols}, std::move(values)};
}

TEST(BatchTest, MergeStacksRowsInOrder) {
  const Tensor a = Matrix(1, 2, {1, 2});
  const Tensor b = Matrix(2, 2, {3, 4, 5, 6});
  const Tensor c{{2}, {7, 8}};  // a single row given as shape [cols]
  const Tensor* inputs[] = {&a, &b, &c};
  const Tensor merged = MergeRows(inputs, 2);
  EXPECT_THAT(merged.shape, ElementsAre(4, 2));
  EXPECT_THAT(merged.values, ElementsAre(1, 2, 3, 4, 5, 6, 7, 8));
}

TEST(BatchTest, SplitGivesEachPartItsRows) {
  const Tensor output{{4}, {10, 20, 30, 40}};
  const int64_t rows[] = {1, 2, 1};
  std::vector<Tensor> parts;
  ASSERT_TRUE(SplitRows(output, rows, &parts).ok());
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_THAT(parts[0].shape, ElementsAre(1));
  EXPECT_THAT(parts[0].values, ElementsAre(10));
  EXPECT_THAT(parts[1].shape, ElementsAre(2));
  EXPECT_THAT(parts[1].values, ElementsAre(20, 30));
  EXPECT_THAT(parts[2].values, ElementsAre(40));
}

TEST(BatchTest, SplitKeepsValuesPerRow) {
  const Tensor output{{3, 2}, {1, 2, 3, 4, 5, 6}};
  const int64_t rows[] = {2, 1};
  std::vector<Tensor> parts;
  ASSERT_TRUE(SplitRows(output, rows, &parts).ok());
  EXPECT_THAT(parts[0].shape, ElementsAre(2, 2));
  EXPECT_THAT(parts[0].values, ElementsAre(1, 2, 3, 4));
  EXPECT_THAT(parts[1].shape, ElementsAre(1, 2));
  EXPECT_THAT(parts[1].values, ElementsAre(5, 6));
}

TEST(BatchTest, SplitRefusesAnOutputOfTheWrongSize) {
  const int64_t rows[] = {2, 1};
  std::vector<Tensor> parts;
  EXPECT_EQ(SplitRows(Tensor{{2}, {1, 2}}, rows, &parts).code(), absl::StatusCode::kInternal);
  EXPECT_EQ(SplitRows(Tensor{{3}, {1, 2, 3, 4}}, rows, &parts).code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace predictwire
