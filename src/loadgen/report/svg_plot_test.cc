#include "loadgen/report/svg_plot.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

namespace predictwire::loadgen {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

size_t CountOf(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// The coordinate pairs of every <polyline> in `svg`, one vector per polyline.
std::vector<std::vector<std::string>> Polylines(const std::string& svg) {
  std::vector<std::vector<std::string>> lines;
  const std::regex polyline("<polyline points=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), polyline);
       it != std::sregex_iterator(); ++it) {
    std::vector<std::string> pairs;
    const std::string points = (*it)[1];
    const std::regex pair("[^ ]+");
    for (auto p = std::sregex_iterator(points.begin(), points.end(), pair);
         p != std::sregex_iterator(); ++p) {
      pairs.push_back(p->str());
    }
    lines.push_back(pairs);
  }
  return lines;
}

TEST(SvgPlotTest, LinearScaleMapsEndsAndMiddle) {
  const ScaleMap x(AxisScale::kLinear, 0, 10, 100, 600);
  EXPECT_DOUBLE_EQ(x.ToPixel(0), 100);
  EXPECT_DOUBLE_EQ(x.ToPixel(10), 600);
  EXPECT_DOUBLE_EQ(x.ToPixel(2.5), 225);
  const ScaleMap y(AxisScale::kLinear, 0, 1, 300, 0);  // y grows upwards
  EXPECT_DOUBLE_EQ(y.ToPixel(0), 300);
  EXPECT_DOUBLE_EQ(y.ToPixel(0.25), 225);
}

TEST(SvgPlotTest, LogScaleMapsDecadesEvenly) {
  const ScaleMap x(AxisScale::kLog10, 1, 1000, 0, 300);
  EXPECT_DOUBLE_EQ(x.ToPixel(1), 0);
  EXPECT_NEAR(x.ToPixel(10), 100, 1e-9);
  EXPECT_NEAR(x.ToPixel(100), 200, 1e-9);
  EXPECT_NEAR(x.ToPixel(1000), 300, 1e-9);
  EXPECT_NEAR(x.ToPixel(std::sqrt(10.0)), 50, 1e-9);
  EXPECT_DOUBLE_EQ(x.ToPixel(0), 0);  // not drawable: the axis start
  const ScaleMap y(AxisScale::kLog10, 10, 1000, 200, 0);
  EXPECT_NEAR(y.ToPixel(100), 100, 1e-9);
}

TEST(SvgPlotTest, StepsAreOneTwoFive) {
  EXPECT_DOUBLE_EQ(NiceStep(10, 6), 2);
  EXPECT_DOUBLE_EQ(NiceStep(1, 6), 0.2);
  EXPECT_DOUBLE_EQ(NiceStep(7, 6), 2);
  EXPECT_DOUBLE_EQ(NiceStep(100, 6), 20);
  EXPECT_DOUBLE_EQ(NiceStep(20, 5), 5);
  EXPECT_DOUBLE_EQ(NiceStep(45000, 6), 10000);
}

TEST(SvgPlotTest, LinearTicksAreRoundMultiples) {
  EXPECT_THAT(LinearTicks(0, 1, 0.2), ElementsAre(0, 0.2, 0.4, 0.6, 0.8, 1));
  EXPECT_THAT(LinearTicks(3, 11, 2), ElementsAre(4, 6, 8, 10));
  EXPECT_THAT(LinearTicks(-1, 1, 1), ElementsAre(-1, 0, 1));
  EXPECT_TRUE(LinearTicks(1, 0, 1).empty());
}

TEST(SvgPlotTest, LogTicksArePowersOfTenOrOneTwoFive) {
  EXPECT_THAT(LogTicks(1, 1000), ElementsAre(1, 10, 100, 1000));
  EXPECT_THAT(LogTicks(0.5, 20000), ElementsAre(1, 10, 100, 1000, 10000));
  EXPECT_THAT(LogTicks(10, 200), ElementsAre(10, 20, 50, 100, 200));
  EXPECT_THAT(LogTicks(20, 100), ElementsAre(20, 50, 100));
  EXPECT_TRUE(LogTicks(0, 10).empty());
}

TEST(SvgPlotTest, RangesAreWidenedToRoundValues) {
  EXPECT_EQ(NiceRange(AxisScale::kLog10, 3, 4000), std::make_pair(2.0, 5000.0));
  EXPECT_EQ(NiceRange(AxisScale::kLog10, 10, 100), std::make_pair(10.0, 100.0));
  EXPECT_EQ(NiceRange(AxisScale::kLog10, 50, 50), std::make_pair(20.0, 100.0));
  EXPECT_EQ(NiceRange(AxisScale::kLinear, 3, 97), std::make_pair(0.0, 100.0));
  EXPECT_EQ(NiceRange(AxisScale::kLinear, 5, 5), std::make_pair(2.0, 8.0));
}

TEST(SvgPlotTest, TickLabelsAreShort) {
  EXPECT_EQ(FormatTickLabel(0), "0");
  EXPECT_EQ(FormatTickLabel(0.5), "0.5");
  EXPECT_EQ(FormatTickLabel(0.6000000000000001), "0.6");
  EXPECT_EQ(FormatTickLabel(20), "20");
  EXPECT_EQ(FormatTickLabel(500), "500");
  EXPECT_EQ(FormatTickLabel(1000), "1k");
  EXPECT_EQ(FormatTickLabel(2500), "2.5k");
  EXPECT_EQ(FormatTickLabel(1e6), "1M");
  EXPECT_EQ(FormatTickLabel(2e9), "2G");
}

TEST(SvgPlotTest, EscapesEveryMarkupCharacter) {
  EXPECT_EQ(EscapeHtml("a<b>&\"c\"'d'"), "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;");
  EXPECT_EQ(EscapeHtml("plain µs"), "plain µs");
}

TEST(SvgPlotTest, DrawsSeriesWithTicksLegendAndEscapedText) {
  LinePlot plot("p50 <&> p99", {.title = "x \"in\" s", .scale = AxisScale::kLinear},
                {.title = "latency (µs)", .scale = AxisScale::kLog10});
  plot.AddSeries({.name = "ws <binary>", .color = "#1f77b4", .points = {{1, 10}, {2, 100}}});
  plot.AddSeries({.name = "rest",
                  .color = "#ff7f0e",
                  .style = LineStyle::kDashed,
                  .points = {{1, 20}, {2, 200}, {3, 300}}});
  const std::string svg = plot.ToSvg();
  EXPECT_EQ(CountOf(svg, "<svg"), 1u);
  EXPECT_THAT(svg, HasSubstr("p50 &lt;&amp;&gt; p99"));
  EXPECT_THAT(svg, HasSubstr("x &quot;in&quot; s"));
  EXPECT_THAT(svg, HasSubstr(">ws &lt;binary&gt;</text>"));
  EXPECT_THAT(svg, Not(HasSubstr("<&>")));
  EXPECT_THAT(svg, Not(HasSubstr("no data")));
  EXPECT_THAT(svg, HasSubstr("stroke-dasharray=\"6 4\""));
  // y from 10 to 300 rounds to 10..500: 1-2-5 ticks; x from 1 to 3 rounds to 1..3.
  for (const char* label : {">10<", ">20<", ">50<", ">100<", ">200<", ">500<", ">1.5<", ">3<"}) {
    EXPECT_THAT(svg, HasSubstr(label)) << label;
  }
  const auto lines = Polylines(svg);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].size(), 2u);
  EXPECT_EQ(lines[1].size(), 3u);
}

TEST(SvgPlotTest, PlacesPointsByTheScales) {
  LinePlot plot("fixed", {.title = "x", .min = 0.0, .max = 10.0},
                {.title = "y", .scale = AxisScale::kLog10, .min = 1.0, .max = 100.0});
  plot.AddSeries({.name = "a", .color = "#000", .points = {{0, 1}, {5, 10}, {10, 100}}});
  const auto lines = Polylines(plot.ToSvg());
  ASSERT_EQ(lines.size(), 1u);
  ASSERT_EQ(lines[0].size(), 3u);
  auto parse = [](const std::string& pair) {
    const size_t comma = pair.find(',');
    return std::make_pair(std::stod(pair.substr(0, comma)), std::stod(pair.substr(comma + 1)));
  };
  const auto [x0, y0] = parse(lines[0][0]);
  const auto [x1, y1] = parse(lines[0][1]);
  const auto [x2, y2] = parse(lines[0][2]);
  EXPECT_NEAR(x2 - x0, LinePlot::kAreaWidth, 0.11);
  EXPECT_NEAR(y0 - y2, LinePlot::kAreaHeight, 0.11);
  EXPECT_NEAR(x1, (x0 + x2) / 2, 0.11);  // linear x: 5 is halfway
  EXPECT_NEAR(y1, (y0 + y2) / 2, 0.11);  // log y: 10 is halfway between 1 and 100
}

TEST(SvgPlotTest, StepSeriesDrawsAStaircase) {
  LinePlot plot("cdf", {.title = "x"}, {.title = "y", .min = 0.0, .max = 1.0});
  plot.AddSeries(
      {.name = "a", .color = "#000", .step = true, .points = {{1, 0}, {1, 0.5}, {2, 1}}});
  const auto lines = Polylines(plot.ToSvg());
  ASSERT_EQ(lines.size(), 1u);
  // (1,0) (1,0) (1,.5) (2,.5) (2,1): a vertical, then a horizontal and a vertical.
  ASSERT_EQ(lines[0].size(), 5u);
  EXPECT_EQ(lines[0][2].substr(lines[0][2].find(',')), lines[0][3].substr(lines[0][3].find(',')));
}

TEST(SvgPlotTest, SaysNoDataWhenNothingIsDrawable) {
  LinePlot empty("nothing", {.title = "x"}, {.title = "y"});
  EXPECT_THAT(empty.ToSvg(), HasSubstr("no data"));

  LinePlot undrawable("log of zero", {.title = "x"}, {.title = "y", .scale = AxisScale::kLog10});
  undrawable.AddSeries({.name = "zeros", .color = "#000", .points = {{1, 0}, {2, -1}}});
  undrawable.AddSeries({.name = "empty", .color = "#000"});
  const std::string svg = undrawable.ToSvg();
  EXPECT_THAT(svg, HasSubstr("no data"));
  EXPECT_THAT(svg, Not(HasSubstr("<polyline")));
  EXPECT_THAT(svg, Not(HasSubstr(">zeros<")));  // not in the legend either
}

TEST(SvgPlotTest, LeavesOutPointsALogAxisCannotShow) {
  LinePlot plot("partly", {.title = "x", .scale = AxisScale::kLog10}, {.title = "y"});
  plot.AddSeries({.name = "a", .color = "#000", .points = {{0, 1}, {1, 2}, {10, 3}}});
  const auto lines = Polylines(plot.ToSvg());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].size(), 2u);
}

TEST(SvgPlotTest, UsesFixedTicksAndLabelsPoints) {
  LinePlot plot("nines",
                {.title = "percentile",
                 .min = 0.0,
                 .max = 3.0,
                 .ticks = {{1, "90"}, {2, "99"}, {3, "99.9"}, {4, "99.99"}}},
                {.title = "y"});
  plot.AddSeries({.name = "a",
                  .color = "#000",
                  .markers = true,
                  .points = {{1, 1}, {2, 2}},
                  .point_labels = {"c=1", "c=8"}});
  const std::string svg = plot.ToSvg();
  EXPECT_THAT(svg, HasSubstr(">99.9<"));
  EXPECT_THAT(svg, Not(HasSubstr(">99.99<")));  // outside the range
  EXPECT_THAT(svg, HasSubstr(">c=8<"));
  EXPECT_EQ(CountOf(svg, "<circle"), 3u);  // two points and the legend's sample
}

}  // namespace
}  // namespace predictwire::loadgen
