#include "replay/common/interrupt_guard.h"

#include <signal.h>

#include "gtest/gtest.h"

namespace pyreplay {
namespace {

sighandler_t CurrentHandler(int sig) {
  struct sigaction now = {};
  sigaction(sig, nullptr, &now);
  return now.sa_handler;
}

TEST(InterruptGuardTest, CtrlCSetsTheFlagAndTheOldHandlerComesBack) {
  sighandler_t before = CurrentHandler(SIGINT);
  {
    InterruptGuard guard;
    EXPECT_FALSE(guard.interrupted());
    raise(SIGINT);  // would end the test process without the guard
    EXPECT_TRUE(guard.interrupted());
    EXPECT_TRUE(guard.flag()->load());
  }
  EXPECT_EQ(CurrentHandler(SIGINT), before);
}

TEST(InterruptGuardTest, AnInterruptInsideANestedGuardReachesTheOuterOne) {
  sighandler_t before = CurrentHandler(SIGTERM);
  InterruptGuard outer;
  {
    InterruptGuard inner;
    raise(SIGTERM);
    EXPECT_TRUE(inner.interrupted());
  }
  EXPECT_TRUE(outer.interrupted());
  EXPECT_NE(CurrentHandler(SIGTERM), before);  // still the outer guard's
}

}  // namespace
}  // namespace pyreplay
