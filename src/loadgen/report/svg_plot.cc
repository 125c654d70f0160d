#include "loadgen/report/svg_plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace predictwire::loadgen {
namespace {

// Margins around the data area, in pixels: room for the title, tick labels and axis titles.
constexpr int kLeft = 72;
constexpr int kTop = 34;
constexpr int kBottom = 48;
constexpr int kRight = 16;
constexpr int kLegendRow = 16;
constexpr double kLegendCharWidth = 6.6;  // an average glyph at font-size 11
constexpr double kEpsilon = 1e-9;         // relative slack for values that should be equal

bool Drawable(AxisScale scale, double value) {
  return std::isfinite(value) && (scale == AxisScale::kLinear || value > 0);
}

double Power10(int exponent) { return std::pow(10.0, exponent); }

// The largest 1-2-5 value <= value (value > 0), and the smallest >= value.
double Floor125(double value) {
  const int exponent = static_cast<int>(std::floor(std::log10(value)));
  double best = Power10(exponent - 1) * 5;
  for (double multiple : {1.0, 2.0, 5.0, 10.0}) {
    const double candidate = multiple * Power10(exponent);
    if (candidate <= value * (1 + kEpsilon)) best = candidate;
  }
  return best;
}

double Ceil125(double value) {
  const int exponent = static_cast<int>(std::floor(std::log10(value)));
  for (double multiple : {1.0, 2.0, 5.0, 10.0}) {
    const double candidate = multiple * Power10(exponent);
    if (candidate >= value * (1 - kEpsilon)) return candidate;
  }
  return 10 * Power10(exponent);
}

std::string_view DashArray(LineStyle style) {
  switch (style) {
    case LineStyle::kSolid:
      return "";
    case LineStyle::kDashed:
      return "6 4";
    case LineStyle::kDotted:
      return "1.5 3";
    case LineStyle::kDashDot:
      return "8 3 1.5 3";
    case LineStyle::kDashDotDot:
      return "8 3 1.5 3 1.5 3";
  }
  return "";
}

std::string StrokeAttributes(const Series& series) {
  std::string out =
      fmt::format("stroke=\"{}\" stroke-width=\"1.8\" fill=\"none\"", EscapeHtml(series.color));
  const std::string_view dash = DashArray(series.style);
  if (!dash.empty()) out += fmt::format(" stroke-dasharray=\"{}\"", dash);
  return out;
}

// Characters of UTF-8 text, for sizing the legend.
size_t DisplayLength(std::string_view text) {
  return std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; });
}

// An axis made concrete: its range, ticks and pixel mapping.
struct ResolvedAxis {
  double min = 0;
  double max = 1;
  std::vector<Tick> ticks;
};

ResolvedAxis Resolve(const AxisOptions& options, double data_min, double data_max) {
  ResolvedAxis axis;
  auto [nice_min, nice_max] = NiceRange(options.scale, data_min, data_max);
  axis.min = options.min.value_or(nice_min);
  axis.max = options.max.value_or(nice_max);
  if (!(axis.max > axis.min)) {
    axis.max = options.scale == AxisScale::kLog10 ? axis.min * 10 : axis.min + 1;
  }
  if (!options.ticks.empty()) {
    for (const Tick& tick : options.ticks) {
      if (tick.value >= axis.min - kEpsilon * std::fabs(axis.min) &&
          tick.value <= axis.max + kEpsilon * std::fabs(axis.max)) {
        axis.ticks.push_back(tick);
      }
    }
    return axis;
  }
  const std::vector<double> values =
      options.scale == AxisScale::kLog10
          ? LogTicks(axis.min, axis.max)
          : LinearTicks(axis.min, axis.max, NiceStep(axis.max - axis.min, 6));
  for (double value : values) axis.ticks.push_back({value, FormatTickLabel(value)});
  return axis;
}

}  // namespace

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

ScaleMap::ScaleMap(AxisScale scale, double min, double max, double pixel_min, double pixel_max)
    : scale_(scale), min_(min), max_(max), pixel_min_(pixel_min), pixel_max_(pixel_max) {}

double ScaleMap::ToPixel(double value) const {
  double fraction;
  if (scale_ == AxisScale::kLog10) {
    if (value <= 0) return pixel_min_;
    fraction = std::log10(value / min_) / std::log10(max_ / min_);
  } else {
    fraction = (value - min_) / (max_ - min_);
  }
  return pixel_min_ + fraction * (pixel_max_ - pixel_min_);
}

double NiceStep(double span, int max_ticks) {
  const double raw = span / std::max(1, max_ticks - 1);
  const double magnitude = Power10(static_cast<int>(std::floor(std::log10(raw))));
  for (double multiple : {1.0, 2.0, 5.0}) {
    if (multiple * magnitude >= raw * (1 - kEpsilon)) return multiple * magnitude;
  }
  return 10 * magnitude;
}

std::vector<double> LinearTicks(double min, double max, double step) {
  std::vector<double> ticks;
  if (!(step > 0) || !(max >= min)) return ticks;
  const long long first = static_cast<long long>(std::ceil(min / step - kEpsilon));
  const long long last = static_cast<long long>(std::floor(max / step + kEpsilon));
  for (long long k = first; k <= last && ticks.size() < 1000; ++k) {
    // Round away the drift of k * step (0.30000000000000004 must label as 0.3).
    ticks.push_back(std::stod(fmt::format("{:.12g}", static_cast<double>(k) * step)));
  }
  return ticks;
}

std::vector<double> LogTicks(double min, double max) {
  std::vector<double> ticks;
  if (!(min > 0) || !(max >= min)) return ticks;
  const bool fine = std::log10(max / min) <= 2.2;
  const int first = static_cast<int>(std::floor(std::log10(min)));
  const int last = static_cast<int>(std::ceil(std::log10(max)));
  for (int exponent = first; exponent <= last; ++exponent) {
    for (double multiple : {1.0, 2.0, 5.0}) {
      if (!fine && multiple != 1.0) continue;
      const double value = std::stod(fmt::format("{:.12g}", multiple * Power10(exponent)));
      if (value >= min * (1 - kEpsilon) && value <= max * (1 + kEpsilon)) ticks.push_back(value);
    }
  }
  return ticks;
}

std::pair<double, double> NiceRange(AxisScale scale, double min, double max, int max_ticks) {
  if (scale == AxisScale::kLog10) {
    double low = Floor125(min);
    double high = Ceil125(max);
    if (high <= low * (1 + kEpsilon)) {  // one value: one 1-2-5 step either side
      low = Floor125(low * (1 - 1e-6));
      high = Ceil125(high * (1 + 1e-6));
    }
    return {low, high};
  }
  if (max <= min) {
    const double half = min == 0 ? 0.5 : std::fabs(min) / 2;
    min -= half;
    max += half;
  }
  const double step = NiceStep(max - min, max_ticks);
  return {std::floor(min / step + kEpsilon) * step, std::ceil(max / step - kEpsilon) * step};
}

std::string FormatTickLabel(double value) {
  const double magnitude = std::fabs(value);
  if (magnitude >= 1e9) return fmt::format("{:.4g}G", value / 1e9);
  if (magnitude >= 1e6) return fmt::format("{:.4g}M", value / 1e6);
  if (magnitude >= 1e3) return fmt::format("{:.4g}k", value / 1e3);
  if (magnitude < 1e-12) return "0";
  return fmt::format("{:.4g}", value);
}

LinePlot::LinePlot(std::string title, AxisOptions x, AxisOptions y)
    : title_(std::move(title)), x_(std::move(x)), y_(std::move(y)) {}

void LinePlot::AddSeries(Series series) { series_.push_back(std::move(series)); }

std::string LinePlot::ToSvg() const {
  auto drawable = [&](const Point& p) {
    return Drawable(x_.scale, p.x) && Drawable(y_.scale, p.y);
  };
  double x_min = INFINITY, x_max = -INFINITY, y_min = INFINITY, y_max = -INFINITY;
  std::vector<const Series*> shown;
  size_t legend_chars = 0;
  for (const Series& series : series_) {
    bool any = false;
    for (const Point& p : series.points) {
      if (!drawable(p)) continue;
      any = true;
      x_min = std::min(x_min, p.x);
      x_max = std::max(x_max, p.x);
      y_min = std::min(y_min, p.y);
      y_max = std::max(y_max, p.y);
    }
    if (!any) continue;
    shown.push_back(&series);
    legend_chars = std::max(legend_chars, DisplayLength(series.name));
  }

  const size_t legend_rows =
      std::count_if(shown.begin(), shown.end(), [](const Series* s) { return !s->name.empty(); });
  const int legend_width =
      legend_rows == 0 ? 0 : 44 + static_cast<int>(kLegendCharWidth * legend_chars);
  const int width = kLeft + kAreaWidth + kRight + legend_width;
  const int height =
      std::max(kTop + kAreaHeight + kBottom, kTop + 8 + static_cast<int>(legend_rows) * kLegendRow);
  const int bottom = kTop + kAreaHeight;
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" viewBox=\"0 0 {0} {1}\" "
      "width=\"{0}\" height=\"{1}\" font-family=\"sans-serif\" font-size=\"11\" role=\"img\">\n"
      "<title>{2}</title>\n<rect width=\"{0}\" height=\"{1}\" fill=\"#fff\"/>\n"
      "<text x=\"{3}\" y=\"20\" font-size=\"13\" font-weight=\"bold\">{2}</text>\n",
      width, height, EscapeHtml(title_), kLeft);
  const std::string frame = fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#888\"/>\n", kLeft,
      kTop, kAreaWidth, kAreaHeight);
  const std::string axis_titles = fmt::format(
      "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n"
      "<text transform=\"translate(16 {}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n",
      kLeft + kAreaWidth / 2, bottom + 38, EscapeHtml(x_.title), kTop + kAreaHeight / 2,
      EscapeHtml(y_.title));
  if (shown.empty()) {
    return out + frame + axis_titles +
           fmt::format(
               "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"14\" "
               "fill=\"#888\">no data</text>\n</svg>\n",
               kLeft + kAreaWidth / 2, kTop + kAreaHeight / 2);
  }

  const ResolvedAxis x_axis = Resolve(x_, x_min, x_max);
  const ResolvedAxis y_axis = Resolve(y_, y_min, y_max);
  const ScaleMap to_x(x_.scale, x_axis.min, x_axis.max, kLeft, kLeft + kAreaWidth);
  const ScaleMap to_y(y_.scale, y_axis.min, y_axis.max, bottom, kTop);
  auto pixel_x = [&](double x) {
    return std::clamp(to_x.ToPixel(x), double{kLeft}, double{kLeft + kAreaWidth});
  };
  auto pixel_y = [&](double y) {
    return std::clamp(to_y.ToPixel(y), double{kTop}, double{bottom});
  };

  for (const Tick& tick : x_axis.ticks) {
    const double px = pixel_x(tick.value);
    out += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#e4e4e4\"/>"
        "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
        px, kTop, bottom, bottom + 15, EscapeHtml(tick.label));
  }
  for (const Tick& tick : y_axis.ticks) {
    const double py = pixel_y(tick.value);
    out += fmt::format(
        "<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"#e4e4e4\"/>"
        "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
        kLeft, py, kLeft + kAreaWidth, kLeft - 5, py + 4, EscapeHtml(tick.label));
  }
  out += frame + axis_titles;

  int legend_row = 0;
  for (const Series* series : shown) {
    std::string coordinates;
    std::string markers;
    std::string labels;
    double last_px = 0;
    double previous_py = 0;
    bool first = true;
    size_t drawn = 0;
    for (size_t i = 0; i < series->points.size(); ++i) {
      const Point& p = series->points[i];
      if (!drawable(p)) continue;
      const double px = pixel_x(p.x);
      const double py = pixel_y(p.y);
      last_px = px;
      if (series->step && !first) coordinates += fmt::format("{:.1f},{:.1f} ", px, previous_py);
      coordinates += fmt::format("{:.1f},{:.1f} ", px, py);
      previous_py = py;
      first = false;
      ++drawn;
      if (series->markers) {
        markers += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>", px, py,
                               EscapeHtml(series->color));
      }
      if (i < series->point_labels.size() && !series->point_labels[i].empty()) {
        labels += fmt::format(
            "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"10\" fill=\"{}\">{}"
            "</text>",
            px + 5, py - 5, EscapeHtml(series->color), EscapeHtml(series->point_labels[i]));
      }
    }
    if (drawn == 1 && !series->markers) {  // a line of one point is invisible: mark it
      markers = fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>", last_px,
                            previous_py, EscapeHtml(series->color));
    }
    coordinates.pop_back();
    out += fmt::format("<polyline points=\"{}\" {}/>{}{}\n", coordinates, StrokeAttributes(*series),
                       markers, labels);
    if (series->name.empty()) continue;
    const int row_y = kTop + 10 + legend_row++ * kLegendRow;
    const int legend_x = kLeft + kAreaWidth + kRight + 8;
    out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" {}/>", legend_x, row_y,
                       legend_x + 26, row_y, StrokeAttributes(*series));
    if (series->markers || drawn == 1) {
      out += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{}\"/>", legend_x + 13, row_y,
                         EscapeHtml(series->color));
    }
    out += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", legend_x + 32, row_y + 4,
                       EscapeHtml(series->name));
  }
  return out + "</svg>\n";
}

}  // namespace predictwire::loadgen
