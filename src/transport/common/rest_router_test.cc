#include "transport/common/rest_router.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/test_backend.h"
#include "transport/common/limits.h"
#include "transport/common/web_page.h"

namespace predictwire::transport {
namespace {

using predictwire::testing::FunctionBackend;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class RestRouterTest : public ::testing::Test {
 protected:
  explicit RestRouterTest(std::vector<std::string> cors_origins = {}) {
    std::vector<ModelRegistry::Entry> entries;
    entries.push_back({"sum3", FunctionBackend::RowSum(3)});
    entries.push_back({"any", FunctionBackend::RowSum()});
    registry_ = *ModelRegistry::Create(std::move(entries), "");
    Scheduler::Options options;
    options.mode = ExecutionMode::kInline;  // replies arrive before Handle returns
    scheduler_ = *Scheduler::Create(*registry_, options);
    router_ = std::make_unique<RestRouter>(
        RestRouter::Options{"predictwire", "9.9", *CorsPolicy::Create(cors_origins)}, *registry_,
        *scheduler_, ready_);
  }

  RestReply Call(std::string_view method, std::string_view target, std::string body = "",
                 std::string_view origin = "", std::string_view if_none_match = "") {
    RestReply result;
    bool called = false;
    router_->Handle(RestRequest{method, target, std::move(body), "", origin, if_none_match},
                    [&](RestReply reply) {
                      result = std::move(reply);
                      called = true;
                    });
    EXPECT_TRUE(called);
    return result;
  }

  std::atomic<bool> ready_{true};
  std::unique_ptr<ModelRegistry> registry_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<RestRouter> router_;
};

TEST_F(RestRouterTest, PredictUsesTheDefaultOrNamedModel) {
  RestReply reply = Call("POST", "/predict", R"({"features": [1, 2, 3.5]})");
  EXPECT_EQ(reply.status, 200);
  EXPECT_THAT(reply.body, HasSubstr(R"("model":"sum3","predictions":[6.5])"));
  ASSERT_TRUE(reply.timing.has_value());
  reply = Call("POST", "/predict", R"({"model": "any", "instances": [[1], [2]]})");
  EXPECT_THAT(reply.body, HasSubstr(R"("model":"any","predictions":[1,2])"));
}

TEST_F(RestRouterTest, PredictErrors) {
  EXPECT_EQ(Call("POST", "/predict", "{bad").status, 400);
  EXPECT_EQ(Call("POST", "/predict", "").status, 400);
  RestReply wrong_count = Call("POST", "/predict", R"({"features": [1, 2]})");
  EXPECT_EQ(wrong_count.status, 400);
  EXPECT_THAT(wrong_count.body, HasSubstr("expects 3 features per row, got 2"));
  RestReply unknown = Call("POST", "/predict", R"({"model": "nope", "features": [1]})");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_THAT(unknown.body, HasSubstr(R"({"error":"unknown model 'nope')"));
  RestReply get = Call("GET", "/predict");
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.allow, "POST");
}

TEST_F(RestRouterTest, UnknownPathsAndPlainWebSocketRequests) {
  EXPECT_EQ(Call("GET", "/nothing").status, 404);
  RestReply ws = Call("GET", "/ws");
  EXPECT_EQ(ws.status, 426);
  EXPECT_EQ(ws.upgrade, "websocket");
  EXPECT_EQ(Call("GET", "/").status, 200);
}

TEST_F(RestRouterTest, ThePageTheRouteListAndTheModelList) {
  const RestReply page = Call("GET", "/");
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_THAT(page.body, HasSubstr("<!doctype html>"));
  EXPECT_THAT(page.headers, Contains(HeaderField{"cross-origin-embedder-policy", "require-corp"}));
  EXPECT_THAT(page.headers, Contains(HeaderField{"cross-origin-opener-policy", "same-origin"}));
  const RestReply routes = Call("GET", "/routes");
  EXPECT_EQ(routes.content_type, "text/plain; charset=utf-8");
  EXPECT_THAT(routes.body, HasSubstr("POST /v2/models/NAME/infer"));
  EXPECT_EQ(Call("GET", "/models").body,
            R"({"default":"sum3","models":[{"name":"sum3","platform":"test","features":3},)"
            R"({"name":"any","platform":"test","features":-1}]})");
  EXPECT_EQ(Call("POST", "/models").status, 405);
  EXPECT_THAT(Call("GET", "/nothing").body, HasSubstr("see GET /routes"));
}

TEST_F(RestRouterTest, TheClientModuleWithItsVersionAndCacheLifetime) {
  const std::string etag = "\"" + std::string(ClientModuleVersion()) + "\"";
  EXPECT_EQ(ClientModuleVersion().size(), 16u);
  const RestReply module = Call("GET", "/predictwire.js");
  EXPECT_EQ(module.status, 200);
  EXPECT_EQ(module.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(module.body, ClientModule());
  EXPECT_THAT(module.body, HasSubstr("export function connect("));
  EXPECT_THAT(module.headers, Contains(HeaderField{"etag", etag}));
  EXPECT_THAT(module.headers, Contains(HeaderField{"cache-control", "public, max-age=86400"}));
  // The page imports it by its version, which may be kept unchanged; another version may not.
  EXPECT_THAT(WebPage(), HasSubstr("/predictwire.js?v=" + std::string(ClientModuleVersion())));
  EXPECT_THAT(Call("GET", "/predictwire.js?v=" + std::string(ClientModuleVersion())).headers,
              Contains(HeaderField{"cache-control", "public, max-age=31536000, immutable"}));
  EXPECT_THAT(Call("GET", "/predictwire.js?v=0123456789abcdef").headers,
              Contains(HeaderField{"cache-control", "public, max-age=86400"}));
  // Revalidation: 304 without a body when the browser has this version.
  for (const std::string& match : {etag, "W/" + etag, "\"old\", " + etag, std::string("*")}) {
    const RestReply same = Call("GET", "/predictwire.js", "", "", match);
    EXPECT_EQ(same.status, 304) << match;
    EXPECT_TRUE(same.body.empty()) << match;
    EXPECT_THAT(same.headers, Contains(HeaderField{"etag", etag})) << match;
  }
  EXPECT_EQ(Call("GET", "/predictwire.js", "", "", "\"0123456789abcdef\"").status, 200);
  EXPECT_EQ(Call("POST", "/predictwire.js").status, 405);
  EXPECT_THAT(Call("GET", "/routes").body, HasSubstr("GET  /predictwire.js"));
}

TEST_F(RestRouterTest, OptionsAnswersEachRoutesMethodsWithoutCorsHeaders) {
  const std::pair<std::string_view, std::string_view> routes[] = {
      {"/predict", "POST"},
      {"/", "GET, HEAD"},
      {"/predictwire.js", "GET, HEAD"},
      {"/routes", "GET, HEAD"},
      {"/models", "GET, HEAD"},
      {"/v2", "GET, HEAD"},
      {"/v2/health/ready", "GET, HEAD"},
      {"/v2/models/sum3", "GET, HEAD"},
      {"/v2/models/sum3/infer", "POST"},
      {"/v2/models/sum3/versions/1/infer", "POST"},
      {"/v2/models/not-yet/infer", "POST"}};
  for (const auto& [path, methods] : routes) {
    // No CORS policy: the methods, and nothing a browser would take as permission.
    const RestReply reply = Call("OPTIONS", path, "", "http://page.example");
    EXPECT_EQ(reply.status, 204) << path;
    EXPECT_EQ(reply.allow, methods) << path;
    EXPECT_THAT(reply.headers, IsEmpty()) << path;
    EXPECT_TRUE(reply.body.empty()) << path;
  }
  EXPECT_EQ(Call("OPTIONS", "/nothing").status, 404);
}

class CorsRouterTest : public RestRouterTest {
 protected:
  CorsRouterTest() : RestRouterTest({"http://page.example"}) {}
};

TEST_F(CorsRouterTest, PreflightOnEveryRouteForAnAllowedOrigin) {
  for (const auto& [path, methods] : std::vector<std::pair<std::string_view, std::string_view>>{
           {"/predict", "POST"},
           {"/v2/models/sum3/infer", "POST"},
           {"/v2", "GET, HEAD"},
           {"/models", "GET, HEAD"},
           {"/v2/models/sum3/ready", "GET, HEAD"}}) {
    const RestReply reply = Call("OPTIONS", path, "", "http://page.example");
    EXPECT_EQ(reply.status, 204) << path;
    EXPECT_THAT(reply.headers,
                Contains(HeaderField{"access-control-allow-origin", "http://page.example"}))
        << path;
    EXPECT_THAT(reply.headers,
                Contains(HeaderField{"access-control-allow-methods", std::string(methods)}))
        << path;
    EXPECT_THAT(reply.headers,
                Contains(HeaderField{"access-control-allow-headers",
                                     "content-type, inference-header-content-length"}))
        << path;
    EXPECT_THAT(reply.headers, Contains(HeaderField{"access-control-max-age", "600"})) << path;
    EXPECT_THAT(reply.headers, Contains(HeaderField{"vary", "origin"})) << path;
  }
}

TEST_F(CorsRouterTest, AnswersToAnAllowedOriginCarryCorsAndTimingHeaders) {
  for (const RestReply& reply :
       {Call("POST", "/predict", R"({"features": [1, 2, 3]})", "http://page.example"),
        Call("POST", "/v2/models/sum3/infer",
             R"({"inputs": [{"name": "x", "shape": [3], "datatype": "FP32", "data": [1, 1, 1]}]})",
             "http://page.example"),
        Call("POST", "/predict", "{bad", "http://page.example")}) {  // errors too: readable
    EXPECT_THAT(reply.headers,
                Contains(HeaderField{"access-control-allow-origin", "http://page.example"}));
    EXPECT_THAT(reply.headers, Contains(HeaderField{"timing-allow-origin", "http://page.example"}));
    EXPECT_THAT(reply.headers,
                Contains(HeaderField{"access-control-expose-headers",
                                     "server-timing, inference-header-content-length"}));
    EXPECT_THAT(reply.headers, Contains(HeaderField{"vary", "origin"}));
    EXPECT_THAT(
        reply.headers,
        Not(Contains(::testing::Field(&HeaderField::name, "access-control-allow-methods"))));
  }
}

TEST_F(CorsRouterTest, OtherOriginsAndNoOriginGetNoCorsHeaders) {
  EXPECT_THAT(Call("POST", "/predict", R"({"features": [1, 2, 3]})", "http://evil.example").headers,
              IsEmpty());
  EXPECT_THAT(Call("POST", "/predict", R"({"features": [1, 2, 3]})").headers, IsEmpty());
  const RestReply preflight = Call("OPTIONS", "/predict", "", "http://evil.example");
  EXPECT_EQ(preflight.status, 204);
  EXPECT_THAT(preflight.headers, IsEmpty());
}

class AnyOriginRouterTest : public RestRouterTest {
 protected:
  AnyOriginRouterTest() : RestRouterTest({"*"}) {}
};

TEST_F(AnyOriginRouterTest, StarEchoesEachOrigin) {
  EXPECT_THAT(Call("GET", "/v2", "", "http://one.example").headers,
              Contains(HeaderField{"access-control-allow-origin", "http://one.example"}));
  EXPECT_THAT(Call("OPTIONS", "/predict", "", "http://two.example:81").headers,
              Contains(HeaderField{"access-control-allow-origin", "http://two.example:81"}));
  EXPECT_THAT(Call("GET", "/v2").headers, IsEmpty());
}

TEST_F(RestRouterTest, V2HealthFollowsReadiness) {
  EXPECT_EQ(Call("GET", "/v2/health/live").status, 200);
  EXPECT_EQ(Call("GET", "/v2/health/ready").status, 200);
  EXPECT_EQ(Call("GET", "/v2/models/sum3/ready").status, 200);
  ready_ = false;
  EXPECT_EQ(Call("GET", "/v2/health/live").status, 200);
  EXPECT_EQ(Call("GET", "/v2/health/ready").status, 400);
  EXPECT_EQ(Call("GET", "/v2/models/sum3/ready").status, 400);
  EXPECT_EQ(Call("POST", "/v2/health/live").status, 405);
}

TEST_F(RestRouterTest, V2Metadata) {
  RestReply server = Call("GET", "/v2");
  EXPECT_EQ(server.body,
            R"({"name":"predictwire","version":"9.9","extensions":["binary_tensor_data"]})");
  RestReply model = Call("GET", "/v2/models/sum3");
  EXPECT_EQ(model.status, 200);
  EXPECT_THAT(model.body, HasSubstr(R"("shape":[-1,3])"));
  EXPECT_EQ(Call("GET", "/v2/models/sum3/versions/1").status, 200);
  EXPECT_EQ(Call("GET", "/v2/models/sum3/versions/2").status, 404);
  EXPECT_EQ(Call("GET", "/v2/models/nope").status, 404);
  EXPECT_EQ(Call("GET", "/v2/models/sum%33").status, 200);  // percent-decoded
}

TEST_F(RestRouterTest, V2Infer) {
  RestReply reply = Call("POST", "/v2/models/sum3/infer",
                         R"({"id": "q", "inputs": [{"name": "features", "shape": [2, 3],
                             "datatype": "FP32", "data": [1, 2, 3, 4, 5, 6]}]})");
  EXPECT_EQ(reply.status, 200);
  EXPECT_THAT(reply.body, HasSubstr(R"("model_name":"sum3","model_version":"1","id":"q")"));
  EXPECT_THAT(reply.body, HasSubstr(R"("shape":[2],"data":[6,15])"));
  RestReply one_row = Call("POST", "/v2/models/sum3/versions/1/infer",
                           R"({"inputs": [{"name": "x", "shape": [3], "datatype": "INT64",
                               "data": [1, 1, 1]}]})");
  EXPECT_THAT(one_row.body, HasSubstr(R"("data":[3])"));
}

TEST_F(RestRouterTest, V2InferErrors) {
  const char* two_inputs =
      R"({"inputs": [{"name": "a", "shape": [3], "datatype": "FP32", "data": [1, 2, 3]},
                     {"name": "b", "shape": [3], "datatype": "FP32", "data": [1, 2, 3]}]})";
  EXPECT_THAT(Call("POST", "/v2/models/sum3/infer", two_inputs).body, HasSubstr("one input"));
  const char* bad_output =
      R"({"inputs": [{"name": "a", "shape": [3], "datatype": "FP32", "data": [1, 2, 3]}],
          "outputs": [{"name": "probabilities"}]})";
  EXPECT_THAT(Call("POST", "/v2/models/sum3/infer", bad_output).body, HasSubstr("no output"));
  const char* wrong_shape =
      R"({"inputs": [{"name": "a", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]})";
  RestReply reply = Call("POST", "/v2/models/sum3/infer", wrong_shape);
  EXPECT_EQ(reply.status, 400);
  EXPECT_THAT(reply.body, HasSubstr("expects 3 features"));
  EXPECT_EQ(Call("GET", "/v2/models/sum3/infer").status, 405);
  EXPECT_EQ(Call("POST", "/v2/models/nope/infer", wrong_shape).status, 404);
  EXPECT_EQ(Call("GET", "/v2/models/sum3/explain").status, 404);
}

TEST(RestRouterStatusTest, OneTranslationOfStatuses) {
  EXPECT_EQ(RestRouter::HttpStatusFor(absl::InvalidArgumentError("")), 400);
  EXPECT_EQ(RestRouter::HttpStatusFor(absl::NotFoundError("")), 404);
  EXPECT_EQ(RestRouter::HttpStatusFor(absl::ResourceExhaustedError("")), 503);
  EXPECT_EQ(RestRouter::HttpStatusFor(absl::UnavailableError("")), 503);
  EXPECT_EQ(RestRouter::HttpStatusFor(absl::InternalError("")), 500);
}

TEST(RestRouterStatusTest, TheRefusalsBeforeRoutingAreWordedOnce) {
  const RestReply body = RestRouter::BodyTooLargeReply(1000);
  EXPECT_EQ(body.status, 413);
  EXPECT_EQ(body.body,
            RestRouter::ErrorReply(413, "the request body exceeds the 1000-byte limit").body);
  const RestReply header = RestRouter::HeaderTooLargeReply();
  EXPECT_EQ(header.status, 431);
  EXPECT_EQ(header.body, RestRouter::ErrorReply(431, "the request header exceeds " +
                                                         std::to_string(kMaxHeaderBytes) + " bytes")
                             .body);
  const RestReply memory = RestRouter::BodyRefusedForMemoryReply();
  EXPECT_EQ(memory.status, 503);
  EXPECT_THAT(memory.body, HasSubstr("short of memory for this request's body; retry later"));
}

}  // namespace
}  // namespace predictwire::transport
