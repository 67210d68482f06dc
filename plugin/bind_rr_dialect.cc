// bind_rr_dialect.cc: reading rr's command texts (replay/common/rr_dialect.h) for Python, so the gdb
// plugin and the C++ client read every rr release the same way.
#include <string>

#include "plugin/bindings.h"
#include "replay/common/rr_dialect.h"

namespace py = pybind11;

namespace pyreplay {
namespace {

template <typename T>
T OrRaise(absl::StatusOr<T> value) {
  if (!value.ok()) RaiseStatus(value.status());
  return *std::move(value);
}

}  // namespace

void BindRrDialect(py::module_& m) {
  m.def("parse_rr_when", [](const std::string& text) { return OrRaise(ParseWhenText(text)); },
        py::arg("text"),
        "The event number in what gdb's `when` printed, on any rr release: rr's frame time "
        "(\"Current event: 7\" on rr 5.6/5.7 and \"Completed event: 6\" on rr 5.8+ both give "
        "7).");
  m.def("parse_rr_ticks", [](const std::string& text) { return OrRaise(ParseTicksText(text)); },
        py::arg("text"), "The tick count in what `when-ticks` printed.");
  m.def("parse_rr_checkpoint",
        [](const std::string& text) { return OrRaise(ParseCheckpointText(text)); },
        py::arg("text"), "The checkpoint id in what `checkpoint` printed.");
  m.def("supported_rr_range", &SupportedRrRange, "\"rr 5.6 to 5.10\"");
}

}  // namespace pyreplay
