// Scale-out: the article's second criterion ("REST can be scaled more easily using load
// balancing ... WebSockets might require sticky sessions") measured per wire on a fleet of
// `predictwire serve` backends behind HAProxy or nginx (--lb, --backends; harness/fleet.h):
//  - the hop: each wire through the balancer against the same wire straight to one backend,
//    taking turns in the same rounds;
//  - the spread: each backend's share of the requests with 4 and 64 clients, and the skew;
//  - events under a fixed open-loop rate: kill -9 of a backend, a drain, a rolling restart,
//    with each wire's errors, losses, resends, duplicates, p99 and time until the rate is back,
//    on a 100 ms timeline;
//  - scale-up: two backends under load, a third started (the balancer re-rendered and
//    reloaded); how soon it carries its share, with and without --max-connection-age.

#include "loadgen/compare/scenarios/scale_out.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "core/default_models.h"
#include "loadgen/compare/judging.h"
#include "loadgen/compare/planning.h"
#include "loadgen/stats/format.h"

namespace predictwire::loadgen {

using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

double Percentile99(std::vector<uint32_t> values) {
  if (values.empty()) return 0;
  const size_t rank = static_cast<size_t>(std::ceil(0.99 * values.size())) - 1;
  std::nth_element(values.begin(), values.begin() + rank, values.end());
  return values[rank];
}

// Bins within the measured window (the last may hold answers that came after it).
size_t WindowBins(const Run& run) {
  const BenchOptions& options = run.result.options;
  if (options.timeline_bin.count() <= 0) return 0;
  return std::min<size_t>(run.result.timeline.size(),
                          static_cast<size_t>(options.duration / options.timeline_bin));
}

}  // namespace

std::vector<double> BackendShares(const Run& run) {
  const std::vector<double>& counts = run.fleet.backend_requests;
  double total = 0;
  for (double count : counts) {
    if (count < 0) return {};
    total += count;
  }
  if (total <= 0) return {};
  std::vector<double> shares;
  for (double count : counts) shares.push_back(count / total);
  return shares;
}

double Skew(const Run& run) {
  const std::vector<double> shares = BackendShares(run);
  if (shares.empty()) return 0;
  return *std::max_element(shares.begin(), shares.end()) * static_cast<double>(shares.size());
}

TimelineSeries TimelineOf(const Run& run) {
  TimelineSeries series;
  series.bin_ms =
      std::chrono::duration<double, std::milli>(run.result.options.timeline_bin).count();
  const size_t bins = WindowBins(run);
  for (size_t i = 0; i < bins; ++i) {
    const TimelineBin& bin = run.result.timeline[i];
    series.answered_rps.push_back(bin.answered * 1000.0 / series.bin_ms);
    series.p99_us.push_back(Percentile99(bin.latencies_us));
    series.errors.push_back(static_cast<double>(bin.errors));
  }
  for (size_t i = bins; i < run.result.timeline.size(); ++i) {
    series.answered_after += static_cast<double>(run.result.timeline[i].answered);
  }
  return series;
}

EventFigures EventFiguresOf(const Run& run) {
  EventFigures figures;
  const size_t bins = WindowBins(run);
  if (run.fleet.event_at_ms < 0 || bins == 0) return figures;
  figures.measured = true;
  figures.offered_rps = run.result.options.rate;
  const double bin_ms =
      std::chrono::duration<double, std::milli>(run.result.options.timeline_bin).count();
  const size_t first = std::min(bins - 1, static_cast<size_t>(run.fleet.event_at_ms / bin_ms));
  const double wanted = kRecoveredShare * figures.offered_rps * bin_ms / 1000.0;
  std::optional<size_t> last_low;
  for (size_t i = first; i < bins; ++i) {
    if (run.result.timeline[i].answered < wanted) last_low = i;
  }
  if (!last_low) {
    figures.recovered_ms = 0;
  } else if (*last_low == bins - 1) {
    figures.recovered_ms = -1;
  } else {
    figures.recovered_ms = (*last_low + 1) * bin_ms - run.fleet.event_at_ms;
  }
  const double until_ms =
      std::max({run.fleet.event_end_ms, run.fleet.event_at_ms + 1000,
                figures.recovered_ms > 0 ? run.fleet.event_at_ms + figures.recovered_ms : 0.0});
  std::vector<uint32_t> during;
  for (size_t i = first; i < bins && i * bin_ms <= until_ms; ++i) {
    const std::vector<uint32_t>& values = run.result.timeline[i].latencies_us;
    during.insert(during.end(), values.begin(), values.end());
  }
  figures.p99_during_us = Percentile99(std::move(during));
  return figures;
}

namespace {

bool Named(const std::vector<std::string>& asked, std::string_view id) {
  return std::any_of(asked.begin(), asked.end(), [&](const std::string& prefix) {
    return !prefix.empty() && (id.starts_with(prefix) || std::string_view(prefix).starts_with(id));
  });
}

std::string Unavailable(const PlanOptions& options) {
  if (!Named(options.scenarios, "scale-out")) {
    return "ask for it: --scenarios scale-out (it starts a fleet behind HAProxy or nginx)";
  }
  if (!options.own_server) {
    return "it starts backends of its own; a --target server was started elsewhere";
  }
  if (!options.deploy_dir_found)
    return "the checkout's deploy/ (the balancer templates) is missing";
  if (!options.balancer_installed) {
    return fmt::format("{} is not installed (apt-get install {})", options.balancer,
                       options.balancer == "nginx" ? "nginx-light" : "haproxy");
  }
  return "";
}

const char* BalancerName(const PlanOptions& options) {
  return options.balancer == "nginx" ? "nginx" : "HAProxy";
}

// The event runs' open-loop rate, per wire, and its connections. They ask the article's model
// (a sleep of 50 ms), so that about 5 requests are in flight at any time when the event hits:
// what a wire loses or sends again is then what an event does to requests under way, not only
// to idle connections.
constexpr double kEventRate = 100;
constexpr int kEventConnections = 12;  // spread evenly over 2, 3 or 4 backends

std::vector<PlannedScenario> Plan(const PlanOptions& options) {
  const bool quick = options.quick;
  const std::string lb = BalancerName(options);
  std::vector<WireSpec> wires = SelectWires(options, [](const Wire& wire, bool trim) {
    // --quick: the article's two, kept-alive REST and WebSocket.
    return !trim || wire.name == "rest-keepalive" || wire.name == "ws";
  });
  std::erase_if(wires, [](const WireSpec& wire) { return wire.tls; });  // the fleet is plain
  const std::string model = ModelFor(options, kDefaultModelName);
  const std::string event_model = ModelFor(options, kArticleModelName);
  std::vector<PlannedScenario> plan;

  PlannedScenario hop{"scale-out-hop",
                      fmt::format("Scale-out, the hop: through {} or straight to a backend", lb),
                      "What does a load balancer in front cost each wire, in latency and in "
                      "requests per second?"};
  for (const WireSpec& wire : wires) {
    for (bool through : {true, false}) {
      BenchOptions bench = ClosedLoad(wire, 4, quick ? milliseconds(1200) : seconds(5),
                                      quick ? milliseconds(200) : Warmup(options));
      bench.connections = 4;
      bench.pipeline = 1;
      PlannedRun run = ServerRun(
          fmt::format("{}, {}", WireLabel(wire), through ? "via " + lb : "direct"), bench, model);
      run.route = {.destination = through ? Destination::kFleet : Destination::kFleetDirect,
                   .fleet_backends = options.backends};
      hop.runs.push_back(std::move(run));
    }
  }
  plan.push_back(std::move(hop));

  PlannedScenario spread{
      "scale-out-spread", fmt::format("Scale-out, the spread: each backend's share behind {}", lb),
      "Does the balancer spread each wire's requests evenly over the backends, with few clients "
      "and with many?"};
  for (const WireSpec& wire : wires) {
    for (int clients : {4, 64}) {
      BenchOptions bench = ClosedLoad(wire, clients, quick ? milliseconds(900) : seconds(4),
                                      quick ? milliseconds(200) : Warmup(options));
      bench.connections = clients;
      bench.pipeline = 1;
      PlannedRun run =
          ServerRun(fmt::format("{}, {} clients", WireLabel(wire), clients), bench, model);
      run.sweep_value = clients;
      run.route = {.destination = Destination::kFleet, .fleet_backends = options.backends};
      spread.runs.push_back(std::move(run));
    }
  }
  plan.push_back(std::move(spread));

  auto event_run = [&](const WireSpec& wire, FleetEvent event, milliseconds duration, int backends,
                       std::string age) {
    BenchOptions bench = OpenLoad(wire, kEventRate, Arrival::kConstant, kEventConnections, duration,
                                  quick ? milliseconds(300) : seconds(1));
    bench.pipeline = 4;
    bench.timeline_bin = milliseconds(static_cast<int>(kTimelineBinMs));
    // Behind a cut link nothing comes back, not even a reset: a request there is lost when its
    // timeout passes (the balancer waits its own 60 s), which the run then waits out. --quick:
    // 2 s, 40 times the model's 50 ms.
    if (event == FleetEvent::kNetworkCut && quick) bench.timeout = seconds(2);
    std::string label = fmt::format("{}, {}", WireLabel(wire), FleetEventName(event));
    if (event == FleetEvent::kScaleUp) {
      label += age.empty() ? ", no connection age" : ", --max-connection-age " + age;
    }
    PlannedRun run = ServerRun(std::move(label), bench, event_model);
    run.once = true;
    run.route = {.destination = Destination::kFleet,
                 .fleet_backends = backends,
                 .max_connection_age = std::move(age),
                 .event = event,
                 .event_at = quick ? milliseconds(500) : seconds(1)};
    return run;
  };
  PlannedScenario events{
      "scale-out-events",
      fmt::format(
          "Scale-out, events under load: {} req/s of the article's 50 ms model per wire through {}",
          kEventRate, lb),
      "When a backend is killed, drained, restarted or cut off under load, what does each wire "
      "lose, and how soon is its rate back?"};
  events.sweep = Sweep::kNone;
  for (FleetEvent event : {FleetEvent::kKill, FleetEvent::kDrain, FleetEvent::kRollingRestart,
                           FleetEvent::kNetworkCut}) {
    const milliseconds duration = event == FleetEvent::kRollingRestart
                                      ? (quick ? milliseconds(4500) : seconds(8))
                                      : (quick ? milliseconds(2000) : seconds(5));
    for (const WireSpec& wire : wires) {
      events.runs.push_back(event_run(wire, event, duration, options.backends, ""));
    }
  }
  plan.push_back(std::move(events));

  PlannedScenario scale_up{
      "scale-out-scale-up",
      fmt::format("Scale-out, scale-up: a third backend joins two under load behind {}", lb),
      "After a backend is added, how long until it carries its share of each wire's requests, "
      "with and without the servers' --max-connection-age?"};
  for (const std::string& age : {std::string(), std::string("1s")}) {
    for (const WireSpec& wire : wires) {
      scale_up.runs.push_back(
          event_run(wire, FleetEvent::kScaleUp, quick ? milliseconds(3000) : seconds(6), 2, age));
    }
  }
  plan.push_back(std::move(scale_up));
  return plan;
}

std::string Ms(double ms) { return FormatMicroseconds(ms * 1000); }

// The hop: per wire, the run through the balancer over the run straight to a backend.
void JudgeHop(const RunsToJudge& runs, Verdict* verdict) {
  std::map<std::string, std::pair<const Run*, const Run*>> by_wire;
  std::vector<std::string> order;
  for (const Run* run : runs.measured) {
    auto& pair = by_wire[run->wire];
    if (!pair.first && !pair.second) order.push_back(run->wire);
    (run->label.ends_with("direct") ? pair.second : pair.first) = run;
  }
  std::vector<std::string> parts;
  double best_ratio = 0;
  for (const std::string& wire : order) {
    const auto [via, direct] = by_wire[wire];
    if (!via || !direct || P50(*direct) <= 0 || direct->result.throughput_rps <= 0) continue;
    const double ratio = P50(*via) / P50(*direct);
    parts.push_back(fmt::format(
        "{}: p50 {} vs {} direct ({:.2f}x), p99 {} vs {} ({:.2f}x), {:.0f} vs {:.0f} req/s "
        "({:.2f}x)",
        wire, FormatMicroseconds(P50(*via)), FormatMicroseconds(P50(*direct)), ratio,
        FormatMicroseconds(P99(*via)), FormatMicroseconds(P99(*direct)),
        P99(*direct) > 0 ? P99(*via) / P99(*direct) : 0.0, via->result.throughput_rps,
        direct->result.throughput_rps, via->result.throughput_rps / direct->result.throughput_rps));
    if (verdict->best.empty() || ratio < best_ratio) {
      verdict->best = {wire};
      best_ratio = ratio;
    }
  }
  verdict->text =
      fmt::format("the hop, through the balancer vs straight to one backend: {}",
                  parts.empty() ? "nothing measured" : fmt::format("{}", fmt::join(parts, "; ")));
  verdict->meaning = verdict->best.empty()
                         ? "the hop could not be measured"
                         : fmt::format("a balancer hop costs {} least ({:.2f}x its direct p50)",
                                       verdict->best.front(), best_ratio);
}

std::string SharesText(const Run& run) {
  std::vector<std::string> shares;
  for (double share : BackendShares(run)) shares.push_back(fmt::format("{:.0f}%", share * 100));
  return fmt::format("{}", fmt::join(shares, "/"));
}

void JudgeSpread(const RunsToJudge& runs, Verdict* verdict) {
  std::vector<std::string> parts;
  std::map<std::string, double> worst;
  std::vector<std::string> order;
  for (const Run* run : runs.measured) {
    const double skew = Skew(*run);
    if (skew <= 0) continue;
    if (!worst.count(run->wire)) order.push_back(run->wire);
    worst[run->wire] = std::max(worst[run->wire], skew);
    parts.push_back(fmt::format("{}: {} (skew {:.2f})", run->label, SharesText(*run), skew));
  }
  double lowest = 0;
  for (const std::string& wire : order) {
    if (verdict->best.empty() || worst[wire] < lowest) {
      verdict->best = {wire};
      lowest = worst[wire];
    }
  }
  verdict->text = fmt::format(
      "each backend's share of the requests (skew: largest share over the "
      "fair one): {}",
      fmt::join(parts, "; "));
  std::vector<std::string> skewed;
  for (const std::string& wire : order) {
    if (worst[wire] >= 1.25) skewed.push_back(fmt::format("{} ({:.2f})", wire, worst[wire]));
  }
  verdict->meaning = skewed.empty()
                         ? "the balancer spreads every wire within 25% of the fair share"
                         : fmt::format("spread unevenly by the balancer (skew 1.25 or more): {}",
                                       JoinWords(skewed));
}

std::string EventCounts(const Run& run) {
  const BenchResult& r = run.result;
  const EventFigures figures = EventFiguresOf(run);
  return fmt::format(
      "{} errors, {} lost, {} resent, {} duplicates, {} reconnects, p99 {} during, "
      "{}",
      r.errors, r.lost, r.resent, r.duplicates, r.reconnects,
      FormatMicroseconds(figures.p99_during_us),
      figures.recovered_ms < 0    ? "rate not back by the end"
      : figures.recovered_ms == 0 ? "rate never dipped"
                                  : "rate back after " + Ms(figures.recovered_ms));
}

// The network cut's name (FleetEventName): judged apart, since nothing a balancer or a client
// does can save what was in flight to a backend that answers nothing and resets nothing.
constexpr std::string_view kCut = "network cut";

void JudgeEvents(const RunsToJudge& runs, Verdict* verdict) {
  std::map<std::string, std::vector<const Run*>> by_event;
  std::vector<std::string> events;
  // Lost nothing and answered no error in every event but the cut.
  std::map<std::string, bool> clean;
  std::vector<std::string> wires;
  for (const Run* run : runs.measured) {
    if (!by_event.count(run->fleet.event)) events.push_back(run->fleet.event);
    by_event[run->fleet.event].push_back(run);
    if (!clean.count(run->wire)) {
      wires.push_back(run->wire);
      clean[run->wire] = true;
    }
    const bool lost = run->result.lost > 0 || run->result.errors > 0 || !run->fleet.error.empty();
    if (lost && run->fleet.event != kCut) clean[run->wire] = false;
  }
  std::vector<std::string> parts, summary;
  std::string cut;
  for (const std::string& event : events) {
    std::vector<std::string> none_lost, some_lost;
    for (const Run* run : by_event[event]) {
      parts.push_back(
          fmt::format("{}: {}{}", run->label, EventCounts(*run),
                      run->fleet.error.empty() ? "" : " (event failed: " + run->fleet.error + ")"));
      (run->result.lost == 0 && run->result.errors == 0 ? none_lost : some_lost)
          .push_back(run->result.lost == 0 && run->result.errors == 0
                         ? fmt::format("{} (resent {})", run->wire, run->result.resent)
                         : fmt::format("{} ({} lost, {} errors)", run->wire, run->result.lost,
                                       run->result.errors));
    }
    summary.push_back(fmt::format(
        "{}: {}{}", event,
        none_lost.empty() ? "every wire lost requests" : "nothing lost by " + JoinWords(none_lost),
        some_lost.empty() ? "" : "; lost by " + JoinWords(some_lost)));
    if (event == kCut) {
      cut = some_lost.empty()
                ? "; a network cut lost nothing"
                : fmt::format(
                      "; a network cut lost what was in flight to the cut backend on {} "
                      "(at the request timeout: no reset comes, the balancer waits)",
                      JoinWords(some_lost));
    }
  }
  for (const std::string& wire : wires) {
    if (clean[wire]) verdict->best.push_back(wire);
  }
  verdict->tie = verdict->best.size() > 1;
  verdict->text =
      fmt::format("{}. In detail: {}", fmt::join(summary, ". "), fmt::join(parts, "; "));
  const std::string others = by_event.count(std::string(kCut)) ? " but the network cut" : "";
  verdict->meaning =
      verdict->best.empty()
          ? fmt::format("no wire came through every event{} without a loss or an error{}", others,
                        cut)
          : fmt::format("through every event{} without a loss or an error: {}{}{}", others,
                        JoinWords(verdict->best),
                        std::any_of(verdict->best.begin(), verdict->best.end(),
                                    [](const std::string& wire) {
                                      return wire.starts_with("ws") || wire.starts_with("grpc");
                                    })
                            ? " — the persistent connections among them needed no sticky "
                              "session, only a reconnect and a resend"
                            : "",
                        cut);
}

bool Aged(const Run& run) { return run.label.find("--max-connection-age") != std::string::npos; }

std::string ShareAfter(const Run& run) {
  if (run.fleet.event_at_ms < 0) return "";
  if (!run.fleet.error.empty()) return "event failed";
  const double measured_ms = run.result.measured_seconds * 1000 - run.fleet.event_at_ms;
  return run.fleet.share_after_ms < 0 ? fmt::format("not within {}", Ms(measured_ms))
                                      : Ms(run.fleet.share_after_ms);
}

void JudgeScaleUp(const RunsToJudge& runs, Verdict* verdict) {
  std::vector<std::string> parts;
  std::map<std::string, const Run*> plain, aged;
  std::vector<std::string> order;
  for (const Run* run : runs.measured) {
    if (!plain.count(run->wire) && !aged.count(run->wire)) order.push_back(run->wire);
    (Aged(*run) ? aged : plain)[run->wire] = run;
  }
  std::vector<std::string> stuck, moved_by_age, at_once;
  for (const std::string& wire : order) {
    const Run* without = plain.count(wire) ? plain[wire] : nullptr;
    const Run* with = aged.count(wire) ? aged[wire] : nullptr;
    parts.push_back(fmt::format("{}: its share after {} without a connection age, {} with one",
                                wire, without ? ShareAfter(*without) : "-",
                                with ? ShareAfter(*with) : "-"));
    const bool quick_without = without && without->fleet.share_after_ms >= 0;
    const bool quick_with = with && with->fleet.share_after_ms >= 0;
    if (quick_without) {
      at_once.push_back(wire);
    } else if (quick_with) {
      moved_by_age.push_back(wire);
    } else {
      stuck.push_back(wire);
    }
  }
  verdict->best = at_once;
  verdict->tie = at_once.size() > 1;
  verdict->text = fmt::format("a new backend's time to carry 70% of its fair share: {}",
                              fmt::join(parts, "; "));
  std::vector<std::string> lines;
  if (!at_once.empty()) {
    lines.push_back(
        fmt::format("a new backend had its share without help on {}", JoinWords(at_once)));
  }
  if (!moved_by_age.empty()) {
    lines.push_back(
        fmt::format("only with the servers' --max-connection-age on {}", JoinWords(moved_by_age)));
  }
  if (!stuck.empty()) lines.push_back(fmt::format("not even with it on {}", JoinWords(stuck)));
  // The article's claim: REST scales more easily with load balancing, WebSockets need sticky
  // sessions. What the figures say of it: how soon a new backend got REST's and WebSocket's
  // requests, and whether WebSocket needed anything sticky (the events' verdict says what it
  // lost without).
  auto first = [&](const std::map<std::string, const Run*>& runs, std::string_view prefix) {
    for (const std::string& wire : order) {
      if (wire.starts_with(prefix) && runs.count(wire)) return runs.at(wire);
    }
    return static_cast<const Run*>(nullptr);
  };
  const Run* rest = first(plain, "rest");
  const Run* ws = first(plain, "ws");
  const Run* ws_aged = first(aged, "ws");
  std::string claim;
  if (rest && ws && ws_aged && ws->fleet.error.empty() && rest->fleet.share_after_ms >= 0 &&
      ws->fleet.share_after_ms < 0) {
    claim = fmt::format(
        ". The article's claim, measured: REST does scale out with the balancer alone (a new "
        "backend had its share after {}), WebSocket does not (none within {}) — but what it "
        "needs is its connections aged ({} with --max-connection-age {}), not sticky sessions",
        ShareAfter(*rest), ShareAfter(*ws).substr(11), ShareAfter(*ws_aged),
        ws_aged->label.substr(ws_aged->label.rfind(' ') + 1));
  }
  verdict->overall = true;
  verdict->meaning = fmt::format("after a scale-up: {}{}", fmt::join(lines, "; "), claim);
}

void JudgeScaleOut(const Scenario& scenario, const RunsToJudge& runs, Verdict* verdict) {
  if (scenario.id.ends_with("-hop")) return JudgeHop(runs, verdict);
  if (scenario.id.ends_with("-spread")) return JudgeSpread(runs, verdict);
  if (scenario.id.ends_with("-events")) return JudgeEvents(runs, verdict);
  return JudgeScaleUp(runs, verdict);
}

bool Direct(const Run& run) { return run.label.ends_with("direct"); }
std::string ShareCell(const Run& run) {
  return run.fleet.event.empty() && !Direct(run) ? SharesText(run) : "";
}
std::string SkewCell(const Run& run) {
  const double skew = Skew(run);
  return skew > 0 && run.fleet.event.empty() && !Direct(run) ? fmt::format("{:.2f}", skew) : "";
}
std::string LostCell(const Run& run) {
  return run.fleet.event.empty() ? "" : fmt::format("{}", run.result.lost);
}
std::string ResentCell(const Run& run) {
  return run.fleet.event.empty() ? "" : fmt::format("{}", run.result.resent);
}
std::string DuplicatesCell(const Run& run) {
  return run.fleet.event.empty() ? "" : fmt::format("{}", run.result.duplicates);
}
std::string DuringCell(const Run& run) {
  const EventFigures figures = EventFiguresOf(run);
  return figures.measured ? FormatMicroseconds(figures.p99_during_us) : "";
}
std::string BackCell(const Run& run) {
  const EventFigures figures = EventFiguresOf(run);
  if (!figures.measured) return "";
  return figures.recovered_ms < 0 ? "not back" : Ms(figures.recovered_ms);
}
std::string ShareAfterCell(const Run& run) {
  return run.fleet.event == "scale-up" ? ShareAfter(run) : "";
}

constexpr ReportColumn kColumns[] = {
    {"backend shares", "each backend's share of the run's requests, from its /metrics", ShareCell},
    {"skew", "the largest backend share over the fair share (1 is even)", SkewCell},
    {"lost", "requests never answered (bench's lost)", LostCell},
    {"resent", "requests sent again after their connection went away", ResentCell},
    {"dups", "answers to requests answered already", DuplicatesCell},
    {"p99 during", "p99 of the requests answered from the event until the rate was back",
     DuringCell},
    {"rate back", "from the event until every 100 ms bin answers 75% of the offered rate",
     BackCell},
    {"share after", "scale-up: until the new backend answers 70% of its fair share",
     ShareAfterCell},
};

}  // namespace

extern const ScenarioRow kScaleOutScenario = {
    .id = "scale-out",
    .summary =
        "a fleet behind HAProxy or nginx (--lb, --backends): the hop, the spread, kill, "
        "drain, rolling restart and scale-up under load",
    .criterion = Criterion::kScale,
    .opt_in = true,
    .unavailable = Unavailable,
    .plan = Plan,
    .judge = JudgeScaleOut,
    .errors_are_findings = true,
    .columns = kColumns,
};

}  // namespace predictwire::loadgen
