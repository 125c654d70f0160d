#include "server/signals.h"

#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

namespace predictwire::server {

ShutdownSignals::ShutdownSignals() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
}

int ShutdownSignals::Wait() {
  int signal_number = 0;
  sigwait(&set_, &signal_number);
  std::thread([set = set_]() mutable {
    int again = 0;
    sigwait(&set, &again);
    std::fprintf(stderr, "predictwire: second signal %d, exiting without waiting\n", again);
    std::_Exit(1);
  }).detach();
  return signal_number;
}

}  // namespace predictwire::server
