#include "transport/common/http_date.h"

#include <cstdio>
#include <ctime>

namespace predictwire::transport {

std::string_view HttpDate() {
  // Formatted by hand: strftime consults the time zone, which re-reads /etc/localtime.
  static constexpr char kDays[][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr char kMonths[][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  thread_local std::time_t cached_second = -1;
  thread_local char cached[32];
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm utc;
    gmtime_r(&now, &utc);
    std::snprintf(cached, sizeof(cached), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[utc.tm_wday],
                  utc.tm_mday, kMonths[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min,
                  utc.tm_sec);
    cached_second = now;
  }
  return std::string_view(cached, 29);
}

}  // namespace predictwire::transport
