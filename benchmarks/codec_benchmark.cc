// Per-request cost of the codecs on the hot path.

#include <benchmark/benchmark.h>

#include <boost/json.hpp>
#include <charconv>
#include <string>

#include "codec/binary_predict.h"
#include "codec/json_reader.h"
#include "codec/json_writer.h"
#include "codec/predict_json.h"
#include "codec/v2_json.h"

namespace predictwire::codec {
namespace {

// A /predict body as bench sends it: float32 features in their shortest form ("23.12"), spread
// over a few orders of magnitude like the load generator's, written compact as JavaScript does
// (separator ",") or as Python's json.dumps does (", "); or with features like a normalised
// model input, uniform in (-1, 1) ("-0.73519677"), which no branch predictor learns.
std::string PredictBody(int features, const char* separator = ",", bool uniform = false) {
  std::string body = R"({"id": 17, "model": "breast_cancer", "features": [)";
  uint32_t state = 12345;
  for (int i = 0; i < features; ++i) {
    if (i > 0) body += separator;
    state = state * 1664525 + 1013904223;
    const float value = uniform ? static_cast<float>(state) / 2147483648.0f - 1.0f
                                : static_cast<float>((i % 17) * 1.37 + (i % 5) * 21.5 + 0.25);
    AppendJsonNumber(value, &body);
  }
  return body + "]}";
}

// Parses `body` each iteration; bytes a second, and ns a number when it holds `numbers`.
void ParseEach(benchmark::State& state, const std::string& body, int64_t numbers = 0) {
  for (auto _ : state) benchmark::DoNotOptimize(ParsePredictRequest(body));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
  if (numbers > 0) {
    state.counters["ns_per_number"] =
        benchmark::Counter(static_cast<double>(state.iterations() * numbers),
                           benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  }
}

void BM_ParsePredictRequest(benchmark::State& state) {
  ParseEach(state, PredictBody(static_cast<int>(state.range(0))));
}
BENCHMARK(BM_ParsePredictRequest)->Arg(4)->Arg(30)->Arg(1000)->Arg(262144);

void BM_ParsePredictRequestSpaced(benchmark::State& state) {
  ParseEach(state, PredictBody(static_cast<int>(state.range(0)), ", "));
}
BENCHMARK(BM_ParsePredictRequestSpaced)->Arg(262144);

// float64 values in full, as Python's json.dumps writes them ("-0.3741127829957398", ", "):
// more digits than one IEEE division rounds exactly, so the scalar reader's slow path.
void BM_ParsePredictRequestDoubles(benchmark::State& state) {
  std::string body = R"({"model": "breast_cancer", "features": [)";
  uint64_t bits = 12345;
  for (int64_t i = 0; i < state.range(0); ++i) {
    if (i > 0) body += ", ";
    bits = bits * 6364136223846793005u + 1442695040888963407u;
    const double value = static_cast<double>(bits >> 11) / 9007199254740992.0 - 0.5;
    char digits[32];
    body.append(digits, std::to_chars(digits, digits + sizeof(digits), value).ptr);
  }
  body += "]}";
  ParseEach(state, body, state.range(0));
}
BENCHMARK(BM_ParsePredictRequestDoubles)->Arg(262144);

// "instances": rows of 30 features, as a batch of requests would send.
void BM_ParsePredictRequestRows(benchmark::State& state) {
  std::string body = R"({"model": "breast_cancer", "instances": [)";
  for (int64_t row = 0; row < state.range(0); ++row) {
    if (row > 0) body += ",";
    const std::string one = PredictBody(30);
    body.append(one, one.find('['), one.rfind(']') - one.find('[') + 1);
  }
  body += "]}";
  ParseEach(state, body);
}
BENCHMARK(BM_ParsePredictRequestRows)->Arg(1000);

void BM_ParsePredictRequestUniform(benchmark::State& state) {
  ParseEach(state, PredictBody(static_cast<int>(state.range(0)), ",", true), state.range(0));
}
BENCHMARK(BM_ParsePredictRequestUniform)->Arg(262144);

void BM_AppendPredictResponse(benchmark::State& state) {
  InferResponse response;
  response.output = Tensor{{1}, {0.0131836319f}};
  response.timing = ServerTiming{12, 34};
  std::string out;
  for (auto _ : state) {
    out.clear();
    AppendPredictResponse("17", "breast_cancer", response, &out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_AppendPredictResponse);

// A v2 infer body of `values` float32 numbers, as the load generator writes them.
std::string V2Body(int values) {
  std::string body = R"({"id":"17","inputs":[{"name":"features","shape":[1,)" +
                     std::to_string(values) + R"(],"datatype":"FP32","data":[)";
  for (int i = 0; i < values; ++i) {
    if (i > 0) body += ",";
    AppendJsonNumber(static_cast<float>((i % 17) * 1.37 + (i % 5) * 21.5 + 0.25), &body);
  }
  return body + "]}]}";
}

void BM_ParseV2InferRequest(benchmark::State& state) {
  const std::string body = V2Body(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(ParseV2InferRequest(body));
  state.SetBytesProcessed(state.iterations() * body.size());
}
BENCHMARK(BM_ParseV2InferRequest)->Arg(30)->Arg(1000)->Arg(262144);

// A yardstick in the same run: a plain Boost.JSON document of the whole body and a walk of its
// data, the floor of any decoder that builds a document (ParseV2InferRequest did, slower still:
// 107 MB/s at 262144 values when it stopped).
void BM_ParseV2AsDocument(benchmark::State& state) {
  const std::string body = V2Body(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    boost::json::value document = boost::json::parse(body);
    std::vector<float> values;
    std::string where = "data";
    benchmark::DoNotOptimize(
        AppendNestedNumbers(document.at("inputs").at(0).at("data"), where, &values));
    benchmark::DoNotOptimize(values.data());
  }
  state.SetBytesProcessed(state.iterations() * body.size());
}
BENCHMARK(BM_ParseV2AsDocument)->Arg(30)->Arg(1000)->Arg(262144);

void BM_ParseBinaryPredictRequest(benchmark::State& state) {
  Tensor input{{1, state.range(0)}, std::vector<float>(state.range(0), 1.5f)};
  std::string message;
  AppendBinaryPredictRequest(17, "breast_cancer", input, &message);
  for (auto _ : state) benchmark::DoNotOptimize(ParseBinaryPredictRequest(message));
  state.SetBytesProcessed(state.iterations() * message.size());
}
BENCHMARK(BM_ParseBinaryPredictRequest)->Arg(4)->Arg(30)->Arg(262144);

}  // namespace
}  // namespace predictwire::codec
