#include "replay/pyframes/cpython_layout.h"

#include "absl/strings/str_cat.h"

namespace pyreplay {

absl::Status CPythonLayout::Validate() const {
  struct Field {
    const char* name;
    uint32_t value;
  };
  // Fields that cannot sit at offset 0 (each follows a PyObject header or another field).
  const Field nonzero[] = {
      {"_PyInterpreterFrame.f_code", frame_code},
      {"_PyInterpreterFrame.previous", frame_previous},
      {"_PyInterpreterFrame.prev_instr", frame_prev_instr},
      {"_PyInterpreterFrame.owner", frame_owner},
      {"_PyInterpreterFrame.localsplus", frame_localsplus},
      {"_PyCFrame.current_frame", cframe_current_frame},
      {"PyThreadState.next", tstate_next},
      {"PyThreadState.cframe", tstate_cframe},
      {"PyThreadState.native_thread_id", tstate_native_thread_id},
      {"PyCodeObject.co_filename", code_filename},
      {"PyCodeObject.co_name", code_name},
      {"PyCodeObject.co_qualname", code_qualname},
      {"PyCodeObject.co_linetable", code_linetable},
      {"PyCodeObject.co_code_adaptive", code_code_adaptive},
      {"PyBytesObject.ob_sval", bytes_sval},
      {"sizeof(PyASCIIObject)", ascii_object_size},
      {"sizeof(PyCompactUnicodeObject)", compact_object_size},
  };
  for (const Field& f : nonzero) {
    if (f.value == 0 || f.value > 4096) {
      return absl::FailedPreconditionError(absl::StrCat(
          "CPython layout: ", f.name, " at offset ", f.value,
          " cannot be right; is this CPython 3.11 with its debug symbols (python3.11-dbg)?"));
    }
  }
  if (code_code_adaptive <= code_linetable || code_code_adaptive > 1024) {
    return absl::FailedPreconditionError(
        "CPython layout: co_code_adaptive must follow co_linetable (CPython 3.11 only)");
  }
  return absl::OkStatus();
}

}  // namespace pyreplay
