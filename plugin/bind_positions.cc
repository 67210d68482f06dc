// bind_positions.cc: event sites (replay/position/event_sites.h) and goto targets for Python.
#include <string>

#include <pybind11/stl.h>

#include "plugin/bindings.h"
#include "replay/position/event_sites.h"
#include "replay/position/position.h"

namespace py = pybind11;

namespace pyreplay {

void BindPositions(py::module_& m) {
  m.def("event_sites", [](const std::string& trace_dir) {
    absl::StatusOr<std::vector<EventSite>> sites = ReadEventSites(trace_dir);
    if (!sites.ok()) RaiseStatus(sites.status());
    py::list out;
    for (const EventSite& s : *sites) {
      const char* phase = s.phase == SyscallPhase::kEntering  ? "entering"
                          : s.phase == SyscallPhase::kExiting ? "exiting"
                                                              : "";
      out.append(py::make_tuple(s.event, s.tid, phase, s.syscall, s.rip, s.rax, s.rdi,
                                FormatSockaddr(s.local_addr), FormatSockaddr(s.remote_addr),
                                s.checkpointable));
    }
    return out;
  }, py::arg("trace_dir"),
  "Every event of the trace as (event, tid, phase, syscall, rip, rax, rdi, local, remote, "
  "checkpointable): phase is 'entering'/'exiting' for syscall frames, else ''; local/remote are "
  "the TCP addresses rr stored for connect/accept, else ''; checkpointable: rr can clone its "
  "replay while this event is next (an rr checkpoint there restores exactly).");
  m.def("parse_event_target", [](const std::string& text, uint64_t current) {
    absl::StatusOr<uint64_t> event = ParseEventTarget(text, current);
    if (!event.ok()) RaiseStatus(event.status());
    return *event;
  }, py::arg("text"), py::arg("current"));
}

}  // namespace pyreplay
