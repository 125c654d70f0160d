#include "backends/backend_factory.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace predictwire::backends {
namespace {

using ::testing::HasSubstr;

TEST(BackendFactoryTest, ParsesModelFlags) {
  auto flag = ParseModelFlag("slow=sleep:50ms");
  ASSERT_TRUE(flag.ok());
  EXPECT_EQ(flag->name, "slow");
  EXPECT_EQ(flag->spec, "sleep:50ms");
  for (const char* bad : {"noequals", "=sleep:1ms", "name="}) {
    EXPECT_THAT(ParseModelFlag(bad).status().message(), HasSubstr("NAME=SPEC")) << bad;
  }
}

TEST(BackendFactoryTest, BuildsSimulatedBackends) {
  auto sleep = CreateBackend("sleep:50ms");
  ASSERT_TRUE(sleep.ok()) << sleep.status();
  EXPECT_EQ((*sleep)->info().platform, "predictwire_sleep");
  EXPECT_EQ((*sleep)->info().execution, ExecutionKind::kMayBlock);

  auto instant = CreateBackend("sleep:0");
  ASSERT_TRUE(instant.ok()) << instant.status();
  EXPECT_EQ((*instant)->info().execution, ExecutionKind::kCompute);

  auto busy = CreateBackend("busy:1.5ms,instances=3");
  ASSERT_TRUE(busy.ok()) << busy.status();
  EXPECT_EQ((*busy)->info().platform, "predictwire_busy");
  EXPECT_EQ((*busy)->info().instances, 3);
}

TEST(BackendFactoryTest, RejectsBadSpecs) {
  struct Case {
    const char* spec;
    const char* message;
  } cases[] = {
      {"sleep", "no KIND:"},
      {"gpu:1ms", "unknown model kind 'gpu'"},
      {"sleep:fast", "not a duration"},
      {"sleep:50", "not a duration"},
      {"sleep:-1ms", "not a duration"},
      {"busy:1ms,instances=0", "instances=N"},
      {"busy:1ms,threads=2", "instances=N"},
      {"busy:1ms,batch=0", "batch=MAX"},
      {"busy:1ms,batch=many", "batch=MAX"},
      {"busy:1ms,batch=65537", "1 <= MAX <= 65536"},
      {"busy:1ms,batch=8,batch-delay=soon", "batch-delay=DURATION"},
      {"busy:1ms,batch=8,batch-delay=11s", "at most 10s"},
      {"busy:1ms,batch-delay=1ms", "needs batch=MAX"},
      {"busy:1ms,batch", "not understood"},
      {"xgboost:", "needs a model file path"},
      {"xgboost:/nonexistent/model.json", "cannot load XGBoost model"},
  };
  for (const Case& c : cases) {
    auto backend = CreateBackend(c.spec);
    ASSERT_FALSE(backend.ok()) << c.spec;
    EXPECT_THAT(backend.status().message(), HasSubstr(c.message)) << c.spec;
  }
}

}  // namespace
}  // namespace predictwire::backends

namespace predictwire::backends {
namespace {

TEST(BackendFactoryTest, EveryKindOfTheTableIsCreatableAndInTheHelp) {
  const std::string help = ModelSpecHelp();
  for (const BackendKind& kind : BackendKinds()) {
    EXPECT_NE(help.find(std::string(kind.kind) + ":" + std::string(kind.argument)),
              std::string::npos)
        << kind.kind;
    EXPECT_NE(kind.create, nullptr) << kind.kind;
  }
  EXPECT_NE(help.find("instances=N"), std::string::npos);
  EXPECT_NE(help.find("batch=MAX"), std::string::npos);
}

TEST(BackendFactoryTest, BatchingOptions) {
  auto plain = CreateModel("busy:1ms,instances=2");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_FALSE(plain->batching.enabled());
  EXPECT_EQ(plain->backend->info().instances, 2);

  auto batched = CreateModel("sleep:10ms,batch=64,batch-delay=2ms,instances=1");
  ASSERT_TRUE(batched.ok()) << batched.status();
  EXPECT_EQ(batched->batching.max_rows, 64u);
  EXPECT_EQ(batched->batching.max_delay, std::chrono::milliseconds(2));

  auto no_delay = CreateModel("busy:1ms,batch=8");
  ASSERT_TRUE(no_delay.ok()) << no_delay.status();
  EXPECT_EQ(no_delay->batching.max_rows, 8u);
  EXPECT_EQ(no_delay->batching.max_delay, std::chrono::nanoseconds(0));
}

}  // namespace
}  // namespace predictwire::backends
