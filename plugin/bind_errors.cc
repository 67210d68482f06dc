// bind_errors.cc: `_pyreplay.Error`, how a failed absl::Status reaches Python.
#include <string>

#include "absl/status/status.h"
#include "plugin/bindings.h"

namespace py = pybind11;

namespace pyreplay {
namespace {
PyObject* error_type = nullptr;  // owned by the module (a reference is kept there)
}  // namespace

void RaiseStatus(const absl::Status& status) {
  std::string message(status.message());
  std::string code = absl::StatusCodeToString(status.code());
  py::object type = py::reinterpret_borrow<py::object>(
      error_type != nullptr ? error_type : PyExc_RuntimeError);
  py::object error = type(py::str(message), py::str(code));
  PyErr_SetObject(type.ptr(), error.ptr());
  throw py::error_already_set();
}

void BindErrors(py::module_& m) {
  error_type = PyErr_NewExceptionWithDoc(
      "_pyreplay.Error",
      "A pyreplay error: args are (message, code), code being the absl status code's name "
      "(NOT_FOUND, DATA_LOSS, ...).",
      nullptr, nullptr);
  m.add_object("Error", py::handle(error_type));
}

}  // namespace pyreplay
