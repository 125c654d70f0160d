#ifndef PREDICTWIRE_TRANSPORT_COMMON_HEADER_FIELD_H_
#define PREDICTWIRE_TRANSPORT_COMMON_HEADER_FIELD_H_

#include <string>
#include <string_view>

namespace predictwire::transport {

// A response header beyond the ones every reply has, written by each HTTP version as it is.
// The name is a lowercase literal (HTTP/2 requires lowercase; HTTP/1.1 does not mind), the value
// is owned by the field.
struct HeaderField {
  std::string_view name;
  std::string value;

  bool operator==(const HeaderField&) const = default;
};

}  // namespace predictwire::transport

#endif  // PREDICTWIRE_TRANSPORT_COMMON_HEADER_FIELD_H_
