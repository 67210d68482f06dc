// module.cc: `_pyreplay`, the C++ core as a Python module for the gdb plugin.
#include <pybind11/pybind11.h>

#include "plugin/bindings.h"

PYBIND11_MODULE(_pyreplay, m) {
  m.doc() = "pyreplay's core library (marks, positions, index) for the gdb plugin";
  pyreplay::BindErrors(m);
  pyreplay::BindIndex(m);
  pyreplay::BindMarks(m);
  pyreplay::BindPositions(m);
  pyreplay::BindPyFrames(m);
  pyreplay::BindRrDialect(m);
  pyreplay::BindValues(m);
}
