#include "replay/timeline/timeline_page.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "replay/common/text_escape.h"
#include "replay/timeline/timeline_html_template.h"

namespace pyreplay {
namespace {

constexpr absl::string_view kDataPlaceholder = "/*PYREPLAY_TIMELINE_DATA*/";

// How each kind is drawn; the same colours and shapes as timeline.html.
struct KindStyle {
  absl::string_view color;
  absl::string_view shape;
};
KindStyle StyleOf(absl::string_view kind) {
  static const std::map<std::string, KindStyle, std::less<>> kStyles = {
      {"thread", {"#2e7d32", "triangle"}}, {"thread-exit", {"#6b7280", "bar"}},
      {"fork", {"#7c3aed", "diamond"}},    {"exec", {"#a21caf", "diamond"}},
      {"exit", {"#b91c1c", "cross"}},      {"socket", {"#1d4ed8", "circle"}},
      {"bind", {"#0e7490", "square"}},     {"listen", {"#047857", "square"}},
      {"connect", {"#ea580c", "circle"}},  {"accept", {"#ca8a04", "diamond"}},
  };
  auto it = kStyles.find(kind);
  return it != kStyles.end() ? it->second : KindStyle{"#111827", "circle"};
}

std::string XmlEscape(absl::string_view raw) {
  // Control characters and invalid UTF-8 are not well-formed XML: escape them first (\xNN).
  const std::string text = EscapeText(raw);
  return absl::StrReplaceAll(text, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"},
                                    {"\"", "&quot;"}, {"'", "&#39;"}});
}

std::string Shape(absl::string_view shape, double x, double y, double r, absl::string_view color) {
  if (shape == "triangle") {
    return absl::StrFormat("<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"%s\"/>", x - r,
                           y - r, x + r, y, x - r, y + r, color);
  }
  if (shape == "diamond") {
    return absl::StrFormat("<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"%s\"/>",
                           x, y - r, x + r, y, x, y + r, x - r, y, color);
  }
  if (shape == "square") {
    return absl::StrFormat("<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>",
                           x - r + 1, y - r + 1, 2 * r - 2, 2 * r - 2, color);
  }
  if (shape == "bar") {
    return absl::StrFormat("<rect x=\"%.1f\" y=\"%.1f\" width=\"3\" height=\"%.1f\" fill=\"%s\"/>",
                           x - 1.5, y - r, 2 * r, color);
  }
  if (shape == "cross") {
    return absl::StrFormat(
        "<path d=\"M%.1f %.1fL%.1f %.1fM%.1f %.1fL%.1f %.1f\" stroke=\"%s\" stroke-width=\"2\"/>",
        x - r, y - r, x + r, y + r, x + r, y - r, x - r, y + r, color);
  }
  return absl::StrFormat("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"/>", x, y, r - 0.5,
                         color);
}

double NiceStep(double span, double target) {
  double raw = span / std::max(1.0, target);
  double p = std::pow(10.0, std::floor(std::log10(std::max(raw, 1e-12))));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= m * p) return m * p;
  }
  return 10 * p;
}

}  // namespace

absl::string_view TimelineHtmlTemplate() {
  return absl::string_view(embedded::kTimelineHtml.data(), embedded::kTimelineHtml.size());
}

std::string EscapeJsonForScript(absl::string_view json) {
  return absl::StrReplaceAll(json, {{"<", "\\u003c"}});
}

std::string RenderTimelineHtml(const TimelineModel& model) {
  absl::string_view page = TimelineHtmlTemplate();
  size_t at = page.find(kDataPlaceholder);
  std::string json = EscapeJsonForScript(TimelineModelToJson(model));
  if (at == absl::string_view::npos) return std::string(page);  // a broken template; tests catch it
  return absl::StrCat(page.substr(0, at), json, page.substr(at + kDataPlaceholder.size()));
}

std::string RenderTimelineSvg(const TimelineModel& model) {
  constexpr double kWidth = 1200, kLabelW = 190, kRightPad = 16, kAxisH = 28, kMarksH = 22,
                   kProcH = 20, kLaneH = 16, kLegendH = 26;
  const double plot_w = kWidth - kLabelW - kRightPad;
  const double end = static_cast<double>(std::max<uint64_t>(model.event_count, 1));
  auto sx = [&](double event) { return kLabelW + event / end * plot_w; };

  // Rows: a header per process, then its lanes, in the model's order.
  std::map<int32_t, double> lane_mid;
  std::vector<std::string> rows;
  double y = kAxisH + kMarksH;
  for (const TimelineProcess& p : model.processes) {
    bool any = std::any_of(model.lanes.begin(), model.lanes.end(),
                           [&](const TimelineLane& l) { return l.pid == p.pid; });
    if (!any) continue;
    rows.push_back(absl::StrFormat(
        "<rect x=\"0\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" fill=\"#eef1f6\"/>"
        "<text x=\"8\" y=\"%.1f\" font-weight=\"600\">process %d%s</text>",
        y, kWidth, kProcH, y + kProcH / 2 + 4, p.pid,
        p.exe.empty() ? "" : "  " + XmlEscape(p.exe)));
    y += kProcH;
    for (const TimelineLane& l : model.lanes) {
      if (l.pid != p.pid) continue;
      double mid = y + kLaneH / 2;
      lane_mid[l.tid] = mid;
      std::string label = l.name.empty() ? absl::StrCat(l.tid) : absl::StrCat(l.name, " ", l.tid);
      double a = sx(static_cast<double>(l.start)), b = sx(static_cast<double>(l.end));
      rows.push_back(absl::StrFormat(
          "<text x=\"14\" y=\"%.1f\">%s</text>"
          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"4\" fill=\"#cbd5e1\"/>",
          mid + 4, XmlEscape(label), a, mid - 2, std::max(1.0, b - a)));
      y += kLaneH;
    }
  }
  const double height = y + 8 + kLegendH;

  std::string out = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
      "viewBox=\"0 0 %.0f %.0f\" font-family=\"system-ui, sans-serif\" font-size=\"11\">\n"
      "<title>pyreplay timeline: %s</title>\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
      kWidth, height, kWidth, height, XmlEscape(model.trace_name));

  // Axis and grid.
  double step = NiceStep(end, plot_w / 110);
  absl::StrAppend(&out, "<g stroke=\"#eef0f4\">");
  for (double v = 0; v <= end; v += step) {
    absl::StrAppendFormat(&out, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.1f\"/>", sx(v),
                          kAxisH - 6, sx(v), y);
  }
  absl::StrAppend(&out, "</g>\n<g fill=\"#6b7280\" text-anchor=\"middle\">");
  for (double v = 0; v <= end; v += step) {
    absl::StrAppendFormat(&out, "<text x=\"%.1f\" y=\"%.0f\">%.0f</text>", sx(v), kAxisH / 2 + 2, v);
  }
  absl::StrAppendFormat(&out,
                        "</g>\n<text x=\"8\" y=\"%.0f\" fill=\"#374151\">event number</text>\n"
                        "<text x=\"8\" y=\"%.0f\" fill=\"#6b7280\">marks</text>\n",
                        kAxisH / 2 + 2, kAxisH + kMarksH / 2 + 4);
  absl::StrAppend(&out, "<g fill=\"#1f2937\" font-size=\"12\">");
  for (const std::string& row : rows) absl::StrAppend(&out, row);
  absl::StrAppend(&out, "</g>\n");

  // Events. Markers that would land on the same pixel of a lane are drawn once.
  std::set<std::tuple<int32_t, int, std::string>> drawn;
  absl::StrAppend(&out, "<g>");
  for (const TimelineEvent& e : model.events) {
    auto mid = lane_mid.find(e.tid);
    if (mid == lane_mid.end()) continue;
    double x = sx(static_cast<double>(e.event));
    if (!drawn.insert({e.tid, static_cast<int>(std::lround(x)), e.kind}).second) continue;
    KindStyle style = StyleOf(e.kind);
    absl::StrAppend(&out, Shape(style.shape, x, mid->second, 4.5, style.color));
  }
  absl::StrAppend(&out, "</g>\n");

  // Connections: connect -> the accept that answered it, at the accept's return.
  absl::StrAppend(&out, "<g fill=\"none\" stroke=\"#ea580c\" stroke-width=\"1.3\">");
  for (const TimelineEvent& e : model.events) {
    if (e.kind != "connect" || e.peer < 0) continue;
    const TimelineEvent& a = model.events[static_cast<size_t>(e.peer)];
    auto from = lane_mid.find(e.tid), to = lane_mid.find(a.tid);
    if (from == lane_mid.end() || to == lane_mid.end()) continue;
    double x0 = sx(static_cast<double>(e.event));
    double x1 = sx(static_cast<double>(a.exit_event ? a.exit_event : a.event));
    double y0 = from->second, y1 = to->second;
    double bend = std::clamp(std::abs(y1 - y0) / 2, 18.0, 80.0);
    absl::StrAppendFormat(&out,
                          "<path d=\"M%.1f %.1fC%.1f %.1f %.1f %.1f %.1f %.1f\"/>"
                          "<path d=\"M%.1f %.1fl-7 -4v8Z\" fill=\"#ea580c\" stroke=\"none\"/>",
                          x0, y0, x0 + bend, y0, x1 - bend, y1, x1, y1, x1, y1);
  }
  absl::StrAppend(&out, "</g>\n");

  // Marks: a flag with the name and note, a dashed line down to the mark's lane.
  for (const TimelineMark& m : model.marks) {
    double x = sx(static_cast<double>(m.event));
    auto mid = lane_mid.find(m.tid);
    double bottom = mid != lane_mid.end() ? mid->second : y;
    std::string label = m.note.empty() ? m.name : absl::StrCat(m.name, ": ", m.note);
    if (label.size() > 40) label = label.substr(0, 39) + "...";
    absl::StrAppendFormat(
        &out,
        "<g><title>%s</title><line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.1f\" "
        "stroke=\"#db2777\" stroke-dasharray=\"3 3\"/>"
        "<rect x=\"%.1f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"#db2777\"/>"
        "<text x=\"%.1f\" y=\"%.0f\" fill=\"#ffffff\">%s</text></g>\n",
        XmlEscape(absl::StrCat("mark @", m.name, " at event ", m.event, ": ", m.note)), x,
        kAxisH + 3, x, bottom, x, kAxisH + 3, 6.5 * static_cast<double>(label.size()) + 8,
        kMarksH - 6, x + 4, kAxisH + kMarksH / 2 + 4, XmlEscape(label));
  }

  // Legend.
  double lx = 8, ly = y + 8 + kLegendH / 2;
  for (absl::string_view kind : {"thread", "thread-exit", "fork", "exec", "exit", "socket", "bind",
                                 "listen", "connect", "accept"}) {
    KindStyle style = StyleOf(kind);
    absl::StrAppend(&out, Shape(style.shape, lx + 5, ly, 4.5, style.color));
    absl::StrAppendFormat(&out, "<text x=\"%.0f\" y=\"%.0f\" fill=\"#374151\">%s</text>", lx + 13,
                          ly + 4, kind);
    lx += 20 + 6.5 * static_cast<double>(kind.size()) + 14;
  }
  absl::StrAppendFormat(&out,
                        "<text x=\"%.0f\" y=\"%.0f\" fill=\"#374151\">%s: %zu threads, %zu "
                        "events, %zu connections, %zu marks</text>\n</svg>\n",
                        lx + 10, ly + 4, XmlEscape(model.trace_name), model.lanes.size(),
                        model.events.size(), model.PairCount(), model.marks.size());
  return out;
}

}  // namespace pyreplay
