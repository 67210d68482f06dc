#include "replay/pyframes/debug_offsets.h"

#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "replay/common/elf_data.h"
#include "replay/common/status_macros.h"

namespace pyreplay {
namespace {

constexpr char kCookie[] = "xdebugpy";

// The table's fields in order, each a uint64_t after the 8-byte cookie: CPython 3.13's
// (Include/internal/pycore_runtime.h at v3.13.5) and 3.14's (pycore_debug_offsets.h at v3.14).
// Only the names matter here; a name pyreplay reads must appear in every shape.
const std::vector<const char*>& Shape313() {
  static const std::vector<const char*> shape = {
      "version", "free_threaded",
      "runtime_state.size", "runtime_state.finalizing", "runtime_state.interpreters_head",
      "interpreter_state.size", "interpreter_state.id", "interpreter_state.next",
      "interpreter_state.threads_head", "interpreter_state.gc",
      "interpreter_state.imports_modules", "interpreter_state.sysdict",
      "interpreter_state.builtins", "interpreter_state.ceval_gil",
      "interpreter_state.gil_runtime_state", "interpreter_state.gil_runtime_state_enabled",
      "interpreter_state.gil_runtime_state_locked", "interpreter_state.gil_runtime_state_holder",
      "thread_state.size", "thread_state.prev", "thread_state.next", "thread_state.interp",
      "thread_state.current_frame", "thread_state.thread_id", "thread_state.native_thread_id",
      "thread_state.datastack_chunk", "thread_state.status",
      "interpreter_frame.size", "interpreter_frame.previous", "interpreter_frame.executable",
      "interpreter_frame.instr_ptr", "interpreter_frame.localsplus", "interpreter_frame.owner",
      "code_object.size", "code_object.filename", "code_object.name", "code_object.qualname",
      "code_object.linetable", "code_object.firstlineno", "code_object.argcount",
      "code_object.localsplusnames", "code_object.localspluskinds",
      "code_object.co_code_adaptive",
      "pyobject.size", "pyobject.ob_type",
      "type_object.size", "type_object.tp_name", "type_object.tp_repr", "type_object.tp_flags",
      "tuple_object.size", "tuple_object.ob_item", "tuple_object.ob_size",
      "list_object.size", "list_object.ob_item", "list_object.ob_size",
      "dict_object.size", "dict_object.ma_keys", "dict_object.ma_values",
      "float_object.size", "float_object.ob_fval",
      "long_object.size", "long_object.lv_tag", "long_object.ob_digit",
      "bytes_object.size", "bytes_object.ob_size", "bytes_object.ob_sval",
      "unicode_object.size", "unicode_object.state", "unicode_object.length",
      "unicode_object.asciiobject_size",
      "gc.size", "gc.collecting",
  };
  return shape;
}

const std::vector<const char*>& Shape314() {
  static const std::vector<const char*> shape = {
      "version", "free_threaded",
      "runtime_state.size", "runtime_state.finalizing", "runtime_state.interpreters_head",
      "interpreter_state.size", "interpreter_state.id", "interpreter_state.next",
      "interpreter_state.threads_head", "interpreter_state.threads_main", "interpreter_state.gc",
      "interpreter_state.imports_modules", "interpreter_state.sysdict",
      "interpreter_state.builtins", "interpreter_state.ceval_gil",
      "interpreter_state.gil_runtime_state", "interpreter_state.gil_runtime_state_enabled",
      "interpreter_state.gil_runtime_state_locked", "interpreter_state.gil_runtime_state_holder",
      "interpreter_state.code_object_generation", "interpreter_state.tlbc_generation",
      "thread_state.size", "thread_state.prev", "thread_state.next", "thread_state.interp",
      "thread_state.current_frame", "thread_state.thread_id", "thread_state.native_thread_id",
      "thread_state.datastack_chunk", "thread_state.status",
      "interpreter_frame.size", "interpreter_frame.previous", "interpreter_frame.executable",
      "interpreter_frame.instr_ptr", "interpreter_frame.localsplus", "interpreter_frame.owner",
      "interpreter_frame.stackpointer", "interpreter_frame.tlbc_index",
      "code_object.size", "code_object.filename", "code_object.name", "code_object.qualname",
      "code_object.linetable", "code_object.firstlineno", "code_object.argcount",
      "code_object.localsplusnames", "code_object.localspluskinds",
      "code_object.co_code_adaptive", "code_object.co_tlbc",
      "pyobject.size", "pyobject.ob_type",
      "type_object.size", "type_object.tp_name", "type_object.tp_repr", "type_object.tp_flags",
      "tuple_object.size", "tuple_object.ob_item", "tuple_object.ob_size",
      "list_object.size", "list_object.ob_item", "list_object.ob_size",
      "set_object.size", "set_object.used", "set_object.table", "set_object.mask",
      "dict_object.size", "dict_object.ma_keys", "dict_object.ma_values",
      "float_object.size", "float_object.ob_fval",
      "long_object.size", "long_object.lv_tag", "long_object.ob_digit",
      "bytes_object.size", "bytes_object.ob_size", "bytes_object.ob_sval",
      "unicode_object.size", "unicode_object.state", "unicode_object.length",
      "unicode_object.asciiobject_size",
      "gc.size", "gc.collecting",
  };
  return shape;
}

class Table;
absl::Status ValueOffsets(const Table& t, CPythonLayout* out);

// Table reads the named fields of one table.
class Table {
 public:
  Table(const std::string& bytes, const std::vector<const char*>& shape)
      : bytes_(bytes), shape_(shape) {}
  bool Fits() const { return bytes_.size() >= 8 + 8 * shape_.size(); }
  uint64_t Get(const char* name) const {
    for (size_t i = 0; i < shape_.size(); ++i) {
      if (strcmp(shape_[i], name) == 0) {
        uint64_t v = 0;
        memcpy(&v, bytes_.data() + 8 + 8 * i, 8);
        return v;
      }
    }
    return 0;  // not in this version's table
  }

 private:
  const std::string& bytes_;
  const std::vector<const char*>& shape_;
};

absl::Status Narrow(uint64_t value, const char* name, uint32_t* out) {
  if (value > 1u << 20) {
    return absl::DataLossError(absl::StrCat("_Py_DebugOffsets: ", name, " = ", value,
                                            " is no field offset"));
  }
  *out = static_cast<uint32_t>(value);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CPythonLayout> ParseDebugOffsets(const std::string& table) {
  if (table.size() < 16 || memcmp(table.data(), kCookie, 8) != 0) {
    return absl::FailedPreconditionError(
        "no _Py_DebugOffsets table (cookie \"xdebugpy\") at the start of _PyRuntime");
  }
  uint64_t version = 0;
  memcpy(&version, table.data() + 8, 8);
  const int major = static_cast<int>(version >> 24), minor = MinorVersion(version);
  if (major != 3 || minor < 13 || minor > 15) {
    return absl::FailedPreconditionError(absl::StrCat(
        "_Py_DebugOffsets of CPython ", major, ".", minor, ": pyreplay knows its shape for "
        "3.13 to 3.15"));
  }
  // 3.15 keeps 3.14's shape for the fields before `gc` (checked against its headers when a build
  // is at hand; docs/CPYTHON.md).
  Table t(table, minor == 13 ? Shape313() : Shape314());
  if (!t.Fits()) return absl::DataLossError("_Py_DebugOffsets is cut short");

  CPythonLayout out;
  out.python_version = static_cast<uint32_t>(version);
  out.free_threaded = t.Get("free_threaded") != 0 ? 1 : 0;
  struct Field {
    const char* name;
    uint32_t CPythonLayout::*to;
  };
  const Field direct[] = {
      {"interpreter_state.threads_head", &CPythonLayout::interp_threads_head},
      {"thread_state.next", &CPythonLayout::tstate_next},
      {"thread_state.current_frame", &CPythonLayout::tstate_current_frame},
      {"thread_state.thread_id", &CPythonLayout::tstate_thread_id},
      {"thread_state.native_thread_id", &CPythonLayout::tstate_native_thread_id},
      {"interpreter_frame.previous", &CPythonLayout::frame_previous},
      {"interpreter_frame.executable", &CPythonLayout::frame_code},
      {"interpreter_frame.instr_ptr", &CPythonLayout::frame_prev_instr},
      {"interpreter_frame.localsplus", &CPythonLayout::frame_localsplus},
      {"interpreter_frame.owner", &CPythonLayout::frame_owner},
      {"code_object.filename", &CPythonLayout::code_filename},
      {"code_object.name", &CPythonLayout::code_name},
      {"code_object.qualname", &CPythonLayout::code_qualname},
      {"code_object.linetable", &CPythonLayout::code_linetable},
      {"code_object.firstlineno", &CPythonLayout::code_firstlineno},
      {"code_object.co_code_adaptive", &CPythonLayout::code_code_adaptive},
      {"pyobject.ob_type", &CPythonLayout::object_type},
      {"type_object.tp_flags", &CPythonLayout::type_flags},
      {"dict_object.ma_keys", &CPythonLayout::dict_keys},
      {"dict_object.ma_values", &CPythonLayout::dict_values},
      {"bytes_object.ob_size", &CPythonLayout::var_size},
      {"bytes_object.ob_sval", &CPythonLayout::bytes_sval},
      {"unicode_object.state", &CPythonLayout::unicode_state},
      {"unicode_object.length", &CPythonLayout::unicode_length},
      {"unicode_object.asciiobject_size", &CPythonLayout::ascii_object_size},
  };
  for (const Field& f : direct) RETURN_IF_ERROR(Narrow(t.Get(f.name), f.name, &(out.*f.to)));
  out.tstate_cframe = 0;
  out.cframe_current_frame = 0;
  out.cframe_previous = 0;
  if (out.free_threaded) {
    RETURN_IF_ERROR(Narrow(t.Get("interpreter_frame.tlbc_index"), "tlbc_index",
                           &out.frame_tlbc_index));
    RETURN_IF_ERROR(Narrow(t.Get("code_object.co_tlbc"), "co_tlbc", &out.code_tlbc));
  }

  // What the table lacks, as distances from what it has (Include/cpython/code.h,
  // cpython/object.h, cpython/unicodeobject.h at each tag; docs/CPYTHON.md):
  //  - _co_firsttraceable follows co_linetable and 5 pointers (3.13: co_weakreflist,
  //    co_executors, _co_cached, _co_instrumentation_version, _co_monitoring), 6 in 3.14+
  //    (_co_unique_id);
  //  - co_exceptiontable is the third field after the PyVarObject header (co_consts, co_names);
  //  - tp_basicsize follows tp_name; ht_cached_keys follows PyTypeObject, the 5 method suites
  //    (4 + 36 + 3 + 10 + 2 pointers) and ht_name, ht_slots, ht_qualname;
  //  - PyCompactUnicodeObject adds utf8_length and utf8 to PyASCIIObject, and a legacy
  //    PyUnicodeObject's data pointer follows that;
  //  - the state bit field: interned:2, kind:3, compact:1, ascii:1; 3.14's free-threaded build
  //    makes `interned` a whole byte.
  out.code_firsttraceable = out.code_linetable + (minor == 13 ? 48 : 56);
  const uint64_t var_header = t.Get("pyobject.size") + 8;
  RETURN_IF_ERROR(Narrow(var_header + 16, "co_exceptiontable", &out.code_exceptiontable));
  RETURN_IF_ERROR(Narrow(t.Get("type_object.tp_name") + 8, "tp_basicsize", &out.type_basicsize));
  RETURN_IF_ERROR(Narrow(t.Get("type_object.size") + 8 * (4 + 36 + 3 + 10 + 2 + 3),
                         "ht_cached_keys", &out.heaptype_cached_keys));
  out.compact_object_size = out.ascii_object_size + 16;
  out.unicode_data = out.compact_object_size;
  const bool byte_interned = out.free_threaded && minor >= 14;
  out.unicode_kind_shift = byte_interned ? 8 : 2;
  out.unicode_compact_bit = out.unicode_kind_shift + 3;
  out.unicode_ascii_bit = out.unicode_kind_shift + 4;
  RETURN_IF_ERROR(ValueOffsets(t, &out));
  RETURN_IF_ERROR(out.Validate());
  return out;
}

namespace {

// ValueOffsets fills the object offsets the values room reads (replay/pyvalues/): the ones
// the table has, and the rest as distances from it, measured on trixie's 3.13 and sid's 3.14
// debug info (docs/CPYTHON.md, "Values"): f_globals two pointers after `previous`;
// co_nlocalsplus five ints after co_argcount; ma_used right after the PyObject header;
// ht_qualname the pointer before ht_cached_keys. tp_dict, tp_dictoffset, tp_mro, the cell,
// module, member and function fields keep their 3.11 offsets, which those builds share
// (default builds; free-threaded ones are not checked).
absl::Status ValueOffsets(const Table& t, CPythonLayout* out) {
  struct Field {
    const char* name;
    uint32_t CPythonLayout::*to;
  };
  const Field direct[] = {
      {"code_object.localsplusnames", &CPythonLayout::code_localsplusnames},
      {"code_object.localspluskinds", &CPythonLayout::code_localspluskinds},
      {"type_object.tp_name", &CPythonLayout::type_name},
      {"tuple_object.ob_item", &CPythonLayout::tuple_ob_item},
      {"list_object.ob_item", &CPythonLayout::list_ob_item},
      {"float_object.ob_fval", &CPythonLayout::float_ob_fval},
      {"long_object.lv_tag", &CPythonLayout::long_lv_tag},
      {"long_object.ob_digit", &CPythonLayout::long_ob_digit},
  };
  for (const Field& f : direct) RETURN_IF_ERROR(Narrow(t.Get(f.name), f.name, &(out->*f.to)));
  if (t.Get("set_object.table") != 0) {  // 3.14+ tables list the set's fields
    RETURN_IF_ERROR(Narrow(t.Get("set_object.used"), "set used", &out->set_used));
    RETURN_IF_ERROR(Narrow(t.Get("set_object.mask"), "set mask", &out->set_mask));
    RETURN_IF_ERROR(Narrow(t.Get("set_object.table"), "set table", &out->set_table));
  }
  RETURN_IF_ERROR(Narrow(t.Get("interpreter_frame.previous") + 16, "f_globals",
                         &out->frame_globals));
  RETURN_IF_ERROR(Narrow(t.Get("code_object.argcount") + 20, "co_nlocalsplus",
                         &out->code_nlocalsplus));
  RETURN_IF_ERROR(Narrow(t.Get("pyobject.size"), "ma_used", &out->dict_ma_used));
  out->heaptype_qualname = out->heaptype_cached_keys - 8;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RuntimeLayout> LayoutFromDebugOffsets(const std::string& path) {
  // 4 KiB covers every table shape; the symbol's own size bounds the read.
  constexpr size_t kTableBytes = 4096;
  absl::StatusOr<ElfData> runtime = ReadDataSymbol(path, "_PyRuntime", kTableBytes);
  if (absl::IsNotFound(runtime.status())) {
    runtime = ReadSectionData(path, ".PyRuntime", kTableBytes);
  }
  if (!runtime.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " has neither a _PyRuntime symbol nor a .PyRuntime section: it is not the "
        "CPython interpreter (or its libpython)"));
  }
  RuntimeLayout out;
  absl::StatusOr<CPythonLayout> layout = ParseDebugOffsets(runtime->bytes);
  if (!layout.ok()) {
    return absl::Status(layout.status().code(), absl::StrCat(path, ": ", layout.status().message()));
  }
  out.layout = *layout;
  out.runtime = runtime->address;
  Table t(runtime->bytes, MinorVersion(out.layout.python_version) == 13 ? Shape313() : Shape314());
  out.interpreters_head = out.runtime + t.Get("runtime_state.interpreters_head");
  // Type objects, so a stale pointer is caught instead of decoded (exported data symbols).
  for (auto [symbol, field] : {std::pair{"PyUnicode_Type", &CPythonLayout::unicode_type},
                               std::pair{"PyBytes_Type", &CPythonLayout::bytes_type},
                               std::pair{"PyCode_Type", &CPythonLayout::code_type}}) {
    absl::StatusOr<ElfData> type = ReadDataSymbol(path, symbol, 0);
    if (type.ok()) out.layout.*field = type->address;
  }
  return out;
}

}  // namespace pyreplay
