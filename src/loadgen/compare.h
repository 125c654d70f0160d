#ifndef PREDICTWIRE_LOADGEN_COMPARE_H_
#define PREDICTWIRE_LOADGEN_COMPARE_H_

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "loadgen/report.h"

namespace predictwire::loadgen {

// `predictwire compare`: every wire under every scenario, with the TCP floor of the same run,
// in one or both CPU placements; a report on disk and a verdict per scenario.
struct CompareOptions {
  bool quick = false;
  std::string out_dir = "report";
  // An already running server; empty: compare starts `predictwire serve` itself.
  std::string target;
  std::string model;  // with --target: the model to ask (default: the server's default)
  std::string grpc_target;  // with --target: the server's gRPC HOST:PORT (needs --model)
  std::vector<std::string> placements = {"split"};  // "same", "split"
  std::vector<std::string> wires;                   // empty: all
  std::vector<std::chrono::nanoseconds> rtts;       // WAN view; empty: none
  // The capacity scenario's objective: the p99 each wire must keep as its load rises.
  std::chrono::nanoseconds slo = std::chrono::milliseconds(1);
  bool peers = false;                               // also the article's servers
  std::vector<std::string> scenarios;               // only these (id prefixes); empty: all
  std::string binary;                               // this predictwire, to start the server
  std::string models_dir;                           // where breast_cancer.json is
  std::string peers_dir;  // where flask_server.py and websockets_server.py are
  std::string python = "/usr/bin/python3";
  std::string command_line;  // recorded in the report
};

// Runs everything, printing progress and each scenario's table on stderr/stdout as it goes.
absl::StatusOr<Report> RunCompare(const CompareOptions& options);

// Writes report.json, report.csv and index.html into `directory` (created if needed).
absl::Status WriteReport(const Report& report, const std::string& directory);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_COMPARE_H_
