#ifndef PREDICTWIRE_LOADGEN_HARNESS_BALANCER_CONFIG_H_
#define PREDICTWIRE_LOADGEN_HARNESS_BALANCER_CONFIG_H_

// The balancer templates of deploy/ (deploy/haproxy/haproxy.cfg, deploy/nginx/nginx.conf)
// filled in for a fleet, by the rules of deploy/render.py:
//  - a line that names ${BACKEND_NAME} or ${BACKEND_ADDRESS} is written once per backend, the
//    backends named b1, b2, ... in the order given;
//  - every other ${NAME} takes its value from the values given, else from render.py's DEFAULTS
//    (BalancerDefaults, the same values);
//  - a placeholder with no value, or a value given that names no placeholder, is an error.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace predictwire::loadgen {

// deploy/render.py's DEFAULTS: the values of a production set-up.
const std::map<std::string, std::string>& BalancerDefaults();

// `text` (a template) filled in for `backends` (HOST:PORT each) with `values` over the defaults.
absl::StatusOr<std::string> RenderBalancerConfig(std::string_view text,
                                                 const std::vector<std::string>& backends,
                                                 const std::map<std::string, std::string>& values);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_HARNESS_BALANCER_CONFIG_H_
