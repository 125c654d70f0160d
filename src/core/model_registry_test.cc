#include "core/model_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/test_backend.h"

namespace predictwire {
namespace {

using testing::FunctionBackend;
using ::testing::HasSubstr;

std::vector<ModelRegistry::Entry> TwoModels() {
  std::vector<ModelRegistry::Entry> entries;
  entries.push_back({"first", FunctionBackend::RowSum(3)});
  entries.push_back({"second", FunctionBackend::RowSum()});
  return entries;
}

TEST(ModelRegistryTest, FindsModelsByNameAndIndex) {
  auto registry = ModelRegistry::Create(TwoModels(), "");
  ASSERT_TRUE(registry.ok()) << registry.status();
  ASSERT_NE((*registry)->Find("second"), nullptr);
  EXPECT_EQ((*registry)->Find("second")->index(), 1u);
  EXPECT_EQ((*registry)->Find("missing"), nullptr);
  EXPECT_EQ((*registry)->default_model().name(), "first");
}

TEST(ModelRegistryTest, ResolvesEmptyNameToDefault) {
  auto registry = ModelRegistry::Create(TwoModels(), "second");
  ASSERT_TRUE(registry.ok());
  auto model = (*registry)->Resolve("");
  ASSERT_TRUE(model.ok());
  EXPECT_EQ((*model)->name(), "second");
}

TEST(ModelRegistryTest, UnknownModelNamesTheOnesServed) {
  auto registry = ModelRegistry::Create(TwoModels(), "");
  auto model = (*registry)->Resolve("nope");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(model.status().message(), HasSubstr("'nope'"));
  EXPECT_THAT(model.status().message(), HasSubstr("first, second"));
}

TEST(ModelRegistryTest, RejectsBadLists) {
  EXPECT_FALSE(ModelRegistry::Create({}, "").ok());
  std::vector<ModelRegistry::Entry> duplicate;
  duplicate.push_back({"a", FunctionBackend::RowSum()});
  duplicate.push_back({"a", FunctionBackend::RowSum()});
  EXPECT_THAT(ModelRegistry::Create(std::move(duplicate), "").status().message(),
              HasSubstr("twice"));
  EXPECT_THAT(ModelRegistry::Create(TwoModels(), "third").status().message(), HasSubstr("'third'"));
}

TEST(ModelTest, ValidatesFeatureCount) {
  auto registry = ModelRegistry::Create(TwoModels(), "");
  const Model& fixed = *(*registry)->Find("first");
  Tensor good{{2, 3}, {1, 2, 3, 4, 5, 6}};
  EXPECT_TRUE(fixed.ValidateInput(good).ok());
  Tensor wrong_cols{{1, 4}, {1, 2, 3, 4}};
  EXPECT_THAT(fixed.ValidateInput(wrong_cols).message(),
              HasSubstr("expects 3 features per row, got 4"));
  Tensor mismatched{{2, 3}, {1, 2, 3}};
  EXPECT_FALSE(fixed.ValidateInput(mismatched).ok());
  Tensor empty{{0, 3}, {}};
  EXPECT_FALSE(fixed.ValidateInput(empty).ok());
  const Model& any = *(*registry)->Find("second");
  EXPECT_TRUE(any.ValidateInput(wrong_cols).ok());
}

}  // namespace
}  // namespace predictwire
