// bindings.h: the pieces of the `_pyreplay` Python module, one Bind function per concept.
//
// module.cc calls each one. A new concept adds `plugin/bind_<concept>.cc` and one line here and
// in module.cc. Errors never cross into Python as C++ exceptions: a failed absl::Status becomes
// `_pyreplay.Error(message, code)`, which the gdb layer shows as one clean line.
#ifndef PYREPLAY_PLUGIN_BINDINGS_H_
#define PYREPLAY_PLUGIN_BINDINGS_H_

#include <pybind11/pybind11.h>

#include "absl/status/status.h"

namespace pyreplay {

// RaiseStatus sets `_pyreplay.Error(status.message(), code name)` as the Python error and
// unwinds to pybind11, which hands it to Python. Call only with a non-OK status.
[[noreturn]] void RaiseStatus(const absl::Status& status);

void BindErrors(pybind11::module_& m);
void BindIndex(pybind11::module_& m);
void BindMarks(pybind11::module_& m);
void BindPositions(pybind11::module_& m);
void BindPyFrames(pybind11::module_& m);
void BindRrDialect(pybind11::module_& m);
void BindValues(pybind11::module_& m);

}  // namespace pyreplay

#endif  // PYREPLAY_PLUGIN_BINDINGS_H_
