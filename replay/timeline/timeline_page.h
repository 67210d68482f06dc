// timeline_page.h: the timeline as one self-contained HTML page, and as a static SVG picture.
//
// The page is replay/timeline/timeline.html (embedded into the binary at build time) with the
// model inlined as JSON: it loads nothing from the network and opens from disk or an attachment.
// The SVG draws the whole trace at once, for a bug report or a README.
//
//   std::string html = RenderTimelineHtml(model);
//   std::string svg = RenderTimelineSvg(model);
#ifndef PYREPLAY_REPLAY_TIMELINE_TIMELINE_PAGE_H_
#define PYREPLAY_REPLAY_TIMELINE_TIMELINE_PAGE_H_

#include <string>

#include "absl/strings/string_view.h"
#include "replay/timeline/timeline_model.h"

namespace pyreplay {

// TimelineHtmlTemplate is the page before the model is inlined.
absl::string_view TimelineHtmlTemplate();

// EscapeJsonForScript makes JSON safe inside <script>: every '<' becomes \u003c (it can only
// occur inside JSON strings), so no "</script>" or "<!--" in a note ends the block.
std::string EscapeJsonForScript(absl::string_view json);

// RenderTimelineHtml is the page with `model` inlined.
std::string RenderTimelineHtml(const TimelineModel& model);

// RenderTimelineSvg is a static picture of the whole trace: lanes, event markers by kind,
// connect -> accept arrows and marks, with the event number on the x axis.
std::string RenderTimelineSvg(const TimelineModel& model);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_TIMELINE_TIMELINE_PAGE_H_
