#ifndef PREDICTWIRE_SERVER_SIGNALS_H_
#define PREDICTWIRE_SERVER_SIGNALS_H_

#include <csignal>

namespace predictwire::server {

// SIGINT and SIGTERM as a graceful stop. Construct before starting any thread: it blocks both
// signals in the calling thread, and threads started later inherit the mask, so only Wait sees
// them.
class ShutdownSignals {
 public:
  ShutdownSignals();

  // Blocks until SIGINT or SIGTERM and returns its number. A second signal while the server
  // stops ends the process at once with status 1.
  int Wait();

 private:
  sigset_t set_;
};

}  // namespace predictwire::server

#endif  // PREDICTWIRE_SERVER_SIGNALS_H_
