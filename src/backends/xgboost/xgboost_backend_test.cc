#include "backends/xgboost/xgboost_backend.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

namespace predictwire::backends {
namespace {

using ::testing::ElementsAre;

constexpr char kModel[] = PREDICTWIRE_MODELS_DIR "/breast_cancer.json";
constexpr char kData[] = PREDICTWIRE_MODELS_DIR "/breast_cancer.csv";

// The first `rows` rows of the training data, label column dropped.
Tensor ReadRows(int rows) {
  std::ifstream file(kData);
  Tensor tensor;
  std::string line;
  int read = 0;
  while (read < rows && std::getline(file, line)) {
    std::stringstream fields(line);
    std::string field;
    std::vector<float> row;
    while (std::getline(fields, field, ',')) row.push_back(std::stof(field));
    row.pop_back();  // the label
    tensor.values.insert(tensor.values.end(), row.begin(), row.end());
    ++read;
  }
  tensor.shape = {read, 30};
  return tensor;
}

TEST(XGBoostBackendTest, LoadsTheDefaultModel) {
  auto backend = XGBoostBackend::Create({.model_path = kModel});
  ASSERT_TRUE(backend.ok()) << backend.status();
  EXPECT_EQ((*backend)->info().platform, "xgboost_json");
  EXPECT_THAT((*backend)->info().input.shape, ElementsAre(-1, 30));
  EXPECT_EQ((*backend)->info().execution, ExecutionKind::kCompute);
}

TEST(XGBoostBackendTest, MatchesTheCommandLineTool) {
  // Values printed by `xgboost train.conf task=pred` for the first rows (see models/).
  auto backend = XGBoostBackend::Create({.model_path = kModel});
  ASSERT_TRUE(backend.ok());
  Tensor output;
  ASSERT_TRUE((*backend)->Infer(ReadRows(3), &output).ok());
  ASSERT_THAT(output.shape, ElementsAre(3));
  EXPECT_NEAR(output.values[0], 0.0131836319, 1e-6);
  EXPECT_NEAR(output.values[1], 0.00398563221, 1e-6);
  EXPECT_NEAR(output.values[2], 0.00111673365, 1e-6);
}

TEST(XGBoostBackendTest, BatchEqualsRowByRowAndThreadsAgree) {
  auto backend = XGBoostBackend::Create({.model_path = kModel});
  ASSERT_TRUE(backend.ok());
  const Tensor batch = ReadRows(40);
  Tensor batch_output;
  ASSERT_TRUE((*backend)->Infer(batch, &batch_output).ok());

  std::vector<std::thread> threads;
  std::vector<std::vector<float>> per_thread(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int row = 0; row < 40; ++row) {
        Tensor one{{1, 30},
                   std::vector<float>(batch.values.begin() + row * 30,
                                      batch.values.begin() + (row + 1) * 30)};
        Tensor output;
        if ((*backend)->Infer(one, &output).ok()) per_thread[t].push_back(output.values.at(0));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(per_thread[t], batch_output.values) << "thread " << t;
}

TEST(XGBoostBackendTest, RejectsMissingOrCorruptFiles) {
  EXPECT_FALSE(XGBoostBackend::Create({.model_path = "/nonexistent.json"}).ok());
  // JSON that is not a model, and a model cut short.
  const std::string not_a_model = ::testing::TempDir() + "not_a_model.json";
  std::ofstream(not_a_model) << R"({"learner": 5})";
  EXPECT_FALSE(XGBoostBackend::Create({.model_path = not_a_model}).ok());
  std::ifstream model(kModel);
  const std::string text((std::istreambuf_iterator<char>(model)), {});
  const std::string truncated = ::testing::TempDir() + "truncated.json";
  std::ofstream(truncated) << text.substr(0, text.size() / 2);
  auto backend = XGBoostBackend::Create({.model_path = truncated});
  ASSERT_FALSE(backend.ok());
  EXPECT_THAT(backend.status().message(), ::testing::HasSubstr("cannot load XGBoost model"));
}

}  // namespace
}  // namespace predictwire::backends
