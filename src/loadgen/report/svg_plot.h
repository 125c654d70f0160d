#ifndef PREDICTWIRE_LOADGEN_REPORT_SVG_PLOT_H_
#define PREDICTWIRE_LOADGEN_REPORT_SVG_PLOT_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace predictwire::loadgen {

// Line plots drawn as inline SVG: no scripts, fonts or other resources, so a page that embeds
// them reads offline. Nothing here knows about benchmarks; report_html.cc builds the plots.

// `text` made safe for HTML and SVG text and attribute values: & < > " ' become entities.
std::string EscapeHtml(std::string_view text);

enum class AxisScale { kLinear, kLog10 };

// Maps data values on one axis to pixel positions: `min` to `pixel_min`, `max` to `pixel_max`
// (pixel_max may be below pixel_min, as for a y axis). A log axis needs 0 < min < max and maps
// values by their logarithm; a value <= 0 maps to pixel_min there.
class ScaleMap {
 public:
  ScaleMap(AxisScale scale, double min, double max, double pixel_min, double pixel_max);
  double ToPixel(double value) const;

 private:
  const AxisScale scale_;
  const double min_;
  const double max_;
  const double pixel_min_;
  const double pixel_max_;
};

// The smallest 1-2-5 step (1, 2, 5, 10, 20, ... times a power of ten) that covers `span` in at
// most `max_ticks` - 1 steps. `span` > 0.
double NiceStep(double span, int max_ticks);
// The multiples of `step` within [min, max] (ends included up to rounding), increasing.
std::vector<double> LinearTicks(double min, double max, double step);
// Tick values for a log axis over [min, max] (0 < min): 1-2-5 values when the range spans at
// most about two decades, else the powers of ten only.
std::vector<double> LogTicks(double min, double max);
// [min, max] widened to a round range: on a linear axis to multiples of NiceStep(span, max_ticks),
// on a log axis to 1-2-5 values. A range of one value becomes a range around it. For a log axis
// both ends must be > 0.
std::pair<double, double> NiceRange(AxisScale scale, double min, double max, int max_ticks = 6);
// A short tick label: "0.5", "20", "2.5k", "10M".
std::string FormatTickLabel(double value);

struct Tick {
  double value = 0;
  std::string label;
};

struct AxisOptions {
  std::string title;
  AxisScale scale = AxisScale::kLinear;
  // A fixed range; when unset, the data's range made round by NiceRange.
  std::optional<double> min;
  std::optional<double> max;
  // Fixed ticks; when empty they are generated (LinearTicks or LogTicks, FormatTickLabel).
  std::vector<Tick> ticks;
};

enum class LineStyle { kSolid, kDashed, kDotted, kDashDot, kDashDotDot };

struct Point {
  double x = 0;
  double y = 0;
};

struct Series {
  std::string name;   // legend text; empty: not in the legend
  std::string color;  // a CSS colour, e.g. "#1f77b4"
  LineStyle style = LineStyle::kSolid;
  // A staircase: from each point, horizontally to the next point's x, then vertically (a CDF).
  bool step = false;
  bool markers = false;  // a dot at every point
  std::vector<Point> points;
  // Optional text beside each point (same length as points, or empty).
  std::vector<std::string> point_labels;
};

// One plot: a title, two axes, any number of series and a legend on the right. Points a log
// axis cannot show (<= 0) are left out; points outside a fixed range are drawn at its edge.
// A plot with no point to draw says "no data". Build on one thread, then ToSvg.
class LinePlot {
 public:
  static constexpr int kAreaWidth = 520;  // the data area, in pixels
  static constexpr int kAreaHeight = 280;

  LinePlot(std::string title, AxisOptions x, AxisOptions y);

  void AddSeries(Series series);

  // One <svg> element (with its xmlns, so it also stands alone as a .svg file). Every text in it
  // is escaped; nothing in it refers to anything outside it.
  std::string ToSvg() const;

 private:
  const std::string title_;
  const AxisOptions x_;
  const AxisOptions y_;
  std::vector<Series> series_;
};

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_REPORT_SVG_PLOT_H_
