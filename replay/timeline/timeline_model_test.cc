#include "replay/timeline/timeline_model.h"

#include <gtest/gtest.h>

#include "nlohmann/json.hpp"
#include "replay/timeline/timeline_page.h"

namespace pyreplay {
namespace {

// A small index by hand: a main thread that starts a server thread and a client thread; the
// client connects, the server's accept answers it. Times are monotonic seconds.
EventIndex SmallIndex() {
  EventIndex index;
  index.event_count = 1000;
  index.first_time = 100.0;
  index.last_time = 101.0;
  index.processes.push_back({.pid = 10, .created_at = 0, .exited_at = 990, .exe = "/usr/bin/python3.11"});
  index.threads.push_back({.tid = 10, .pid = 10, .created_at = 0, .exited_at = 990});
  index.threads.push_back({.tid = 12, .parent_tid = 10, .pid = 10, .created_at = 300});
  index.threads.push_back({.tid = 11, .parent_tid = 10, .pid = 10, .created_at = 200, .exited_at = 800});
  auto add = [&](EventKind kind, uint64_t event, int32_t tid, double time) -> IndexEntry& {
    IndexEntry e;
    e.kind = kind;
    e.event = event;
    e.tid = tid;
    e.pid = 10;
    e.time = time;
    index.entries.push_back(e);
    return index.entries.back();
  };
  add(EventKind::kThreadStart, 200, 11, 100.2);
  add(EventKind::kThreadStart, 300, 12, 100.3);
  IndexEntry& accept = add(EventKind::kAccept, 400, 11, 100.4);
  accept.syscall = 43;
  accept.exit_event = 600;
  accept.fd = 3;
  IndexEntry& connect = add(EventKind::kConnect, 500, 12, 100.5);
  connect.syscall = 42;
  connect.fd = 4;
  connect.remote = {.family = AddressFamily::kInet, .text = "127.0.0.1:8765"};
  connect.local = {.family = AddressFamily::kInet, .text = "127.0.0.1:40000 </script>"};
  index.entries[2].peer = 3;
  index.entries[3].peer = 2;
  add(EventKind::kThreadExit, 800, 11, 100.8);
  return index;
}

TEST(TimelineModelTest, OneLanePerThreadGroupedByProcessInCreationOrder) {
  TimelineModel model = BuildTimelineModel(SmallIndex(), {}, {}, "small-1");
  ASSERT_EQ(model.lanes.size(), 3u);
  EXPECT_EQ(model.lanes[0].tid, 10);
  EXPECT_EQ(model.lanes[0].name, "main");
  EXPECT_EQ(model.lanes[1].tid, 11);
  EXPECT_EQ(model.lanes[2].tid, 12);
  EXPECT_TRUE(model.lanes[1].exited);
  EXPECT_EQ(model.lanes[1].end, 800u);
  EXPECT_FALSE(model.lanes[2].exited);
  EXPECT_EQ(model.lanes[2].end, 1000u);  // to the end of the trace
  EXPECT_NEAR(model.lanes[1].start_time, 0.2, 1e-9);
  EXPECT_NEAR(model.lanes[1].end_time, 0.8, 1e-9);
  EXPECT_NEAR(model.lanes[2].end_time, 1.0, 1e-9);
  ASSERT_EQ(model.processes.size(), 1u);
  EXPECT_EQ(model.processes[0].end, 990u);
}

TEST(TimelineModelTest, ConnectsPairWithTheirAcceptsAndSyscallsKnowTheirReturn) {
  TimelineModel model = BuildTimelineModel(SmallIndex(), {}, {}, "small-1");
  EXPECT_EQ(model.PairCount(), 1u);
  const TimelineEvent& connect = model.events[3];
  EXPECT_EQ(connect.kind, "connect");
  ASSERT_EQ(connect.peer, 2);
  EXPECT_EQ(model.events[2].kind, "accept");
  EXPECT_EQ(model.events[2].exit_event, 600u);
  EXPECT_NEAR(model.events[2].exit_time, 0.6, 1e-9);  // interpolated between 500 and 800
  EXPECT_EQ(connect.remote, "127.0.0.1:8765");
}

TEST(TimelineModelTest, MarksAndExtrasAreCarried) {
  Mark mark;
  mark.name = "before-connect";
  mark.note = "fd 4 not yet connected";
  mark.position.event = 450;
  mark.position.tid = 12;
  TimelineExtras extras;
  extras.deep_indexed = true;
  extras.thread_names[11] = "server";
  extras.python_locations[500] = "sockets.py:40 in talk";
  TimelineModel model = BuildTimelineModel(SmallIndex(), {mark}, extras, "small-1");
  ASSERT_EQ(model.marks.size(), 1u);
  EXPECT_EQ(model.marks[0].name, "before-connect");
  EXPECT_NEAR(model.marks[0].time, 0.45, 1e-9);
  EXPECT_EQ(model.lanes[1].name, "server");
  EXPECT_EQ(model.events[3].python_location, "sockets.py:40 in talk");
  EXPECT_TRUE(model.deep_indexed);
}

TEST(TimelineModelTest, JsonIsWhatThePageReads) {
  TimelineModel model = BuildTimelineModel(SmallIndex(), {}, {}, "small-1");
  nlohmann::json j = nlohmann::json::parse(TimelineModelToJson(model));
  EXPECT_EQ(j["traceName"], "small-1");
  EXPECT_EQ(j["eventCount"], 1000);
  EXPECT_EQ(j["threads"].size(), 3u);
  EXPECT_EQ(j["events"].size(), 5u);
  EXPECT_EQ(j["events"][3]["kind"], "connect");
  EXPECT_EQ(j["events"][3]["n"], 500);
  EXPECT_EQ(j["events"][3]["peer"], 2);
  EXPECT_FALSE(j["events"][0].contains("peer"));
}

TEST(TimelinePageTest, HtmlInlinesTheModelAndLoadsNothingFromTheNetwork) {
  TimelineModel model = BuildTimelineModel(SmallIndex(), {}, {}, "small-1");
  std::string html = RenderTimelineHtml(model);
  EXPECT_EQ(html.find("/*PYREPLAY_TIMELINE_DATA*/"), std::string::npos);
  EXPECT_NE(html.find("\"traceName\":\"small-1\""), std::string::npos);
  EXPECT_NE(html.find("window.pyreplayTimeline"), std::string::npos);
  // A note or address holding </script> must not end the data block.
  EXPECT_EQ(html.find("40000 </script>"), std::string::npos);
  EXPECT_NE(html.find("40000 \\u003c/script>"), std::string::npos);
  for (const char* remote : {"http://", "https://", "//cdn", "src=\"http"}) {
    EXPECT_EQ(html.find(remote), std::string::npos) << remote;
  }
}

TEST(TimelinePageTest, SvgDrawsLanesArrowsAndMarks) {
  Mark mark;
  mark.name = "m1";
  mark.note = "a <note>";
  mark.position.event = 450;
  mark.position.tid = 12;
  TimelineModel model = BuildTimelineModel(SmallIndex(), {mark}, {}, "small-1");
  std::string svg = RenderTimelineSvg(model);
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_NE(svg.find("process 10"), std::string::npos);
  EXPECT_NE(svg.find(">main 10<"), std::string::npos);
  EXPECT_NE(svg.find("m1: a &lt;note&gt;"), std::string::npos);
  EXPECT_NE(svg.find("3 threads, 5 events, 1 connections, 1 marks"), std::string::npos);
  EXPECT_EQ(svg.find("<note>"), std::string::npos);
}

}  // namespace
}  // namespace pyreplay
