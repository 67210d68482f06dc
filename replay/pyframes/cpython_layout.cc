#include "replay/pyframes/cpython_layout.h"

#include "absl/strings/str_cat.h"

namespace pyreplay {
namespace {

// kLayoutFields names every offset field, as the gdb layer's layout dict keys them.
struct NamedField {
  const char* name;
  uint32_t CPythonLayout::*offset;
};

constexpr NamedField kLayoutFields[] = {
    {"python_version", &CPythonLayout::python_version},
    {"free_threaded", &CPythonLayout::free_threaded},
    {"frame_code", &CPythonLayout::frame_code},
    {"frame_tlbc_index", &CPythonLayout::frame_tlbc_index},
    {"frame_previous", &CPythonLayout::frame_previous},
    {"frame_prev_instr", &CPythonLayout::frame_prev_instr},
    {"frame_owner", &CPythonLayout::frame_owner},
    {"frame_localsplus", &CPythonLayout::frame_localsplus},
    {"cframe_current_frame", &CPythonLayout::cframe_current_frame},
    {"cframe_previous", &CPythonLayout::cframe_previous},
    {"tstate_current_frame", &CPythonLayout::tstate_current_frame},
    {"tstate_next", &CPythonLayout::tstate_next},
    {"tstate_cframe", &CPythonLayout::tstate_cframe},
    {"tstate_thread_id", &CPythonLayout::tstate_thread_id},
    {"tstate_native_thread_id", &CPythonLayout::tstate_native_thread_id},
    {"interp_threads_head", &CPythonLayout::interp_threads_head},
    {"code_firstlineno", &CPythonLayout::code_firstlineno},
    {"code_filename", &CPythonLayout::code_filename},
    {"code_name", &CPythonLayout::code_name},
    {"code_qualname", &CPythonLayout::code_qualname},
    {"code_linetable", &CPythonLayout::code_linetable},
    {"code_firsttraceable", &CPythonLayout::code_firsttraceable},
    {"code_code_adaptive", &CPythonLayout::code_code_adaptive},
    {"code_exceptiontable", &CPythonLayout::code_exceptiontable},
    {"code_tlbc", &CPythonLayout::code_tlbc},
    {"object_type", &CPythonLayout::object_type},
    {"var_size", &CPythonLayout::var_size},
    {"bytes_sval", &CPythonLayout::bytes_sval},
    {"unicode_length", &CPythonLayout::unicode_length},
    {"unicode_state", &CPythonLayout::unicode_state},
    {"unicode_kind_shift", &CPythonLayout::unicode_kind_shift},
    {"unicode_compact_bit", &CPythonLayout::unicode_compact_bit},
    {"unicode_ascii_bit", &CPythonLayout::unicode_ascii_bit},
    {"ascii_object_size", &CPythonLayout::ascii_object_size},
    {"compact_object_size", &CPythonLayout::compact_object_size},
    {"unicode_data", &CPythonLayout::unicode_data},
    {"type_basicsize", &CPythonLayout::type_basicsize},
    {"type_flags", &CPythonLayout::type_flags},
    {"heaptype_cached_keys", &CPythonLayout::heaptype_cached_keys},
    {"dict_keys", &CPythonLayout::dict_keys},
    {"dict_values", &CPythonLayout::dict_values},
    {"keys_log2_size", &CPythonLayout::keys_log2_size},
    {"keys_log2_index_bytes", &CPythonLayout::keys_log2_index_bytes},
    {"keys_kind", &CPythonLayout::keys_kind},
    {"keys_nentries", &CPythonLayout::keys_nentries},
    {"keys_indices", &CPythonLayout::keys_indices},
    {"frame_globals", &CPythonLayout::frame_globals},
    {"code_nlocalsplus", &CPythonLayout::code_nlocalsplus},
    {"code_localsplusnames", &CPythonLayout::code_localsplusnames},
    {"code_localspluskinds", &CPythonLayout::code_localspluskinds},
    {"type_name", &CPythonLayout::type_name},
    {"type_dict", &CPythonLayout::type_dict},
    {"type_dictoffset", &CPythonLayout::type_dictoffset},
    {"type_mro", &CPythonLayout::type_mro},
    {"heaptype_qualname", &CPythonLayout::heaptype_qualname},
    {"tuple_ob_item", &CPythonLayout::tuple_ob_item},
    {"list_ob_item", &CPythonLayout::list_ob_item},
    {"float_ob_fval", &CPythonLayout::float_ob_fval},
    {"long_lv_tag", &CPythonLayout::long_lv_tag},
    {"long_ob_digit", &CPythonLayout::long_ob_digit},
    {"dict_ma_used", &CPythonLayout::dict_ma_used},
    {"set_used", &CPythonLayout::set_used},
    {"set_mask", &CPythonLayout::set_mask},
    {"set_table", &CPythonLayout::set_table},
    {"cell_ob_ref", &CPythonLayout::cell_ob_ref},
    {"module_dict", &CPythonLayout::module_dict},
    {"member_descr_member", &CPythonLayout::member_descr_member},
    {"member_def_type", &CPythonLayout::member_def_type},
    {"member_def_offset", &CPythonLayout::member_def_offset},
    {"function_qualname", &CPythonLayout::function_qualname},
};

}  // namespace


absl::Status CPythonLayout::Validate() const {
  struct Field {
    const char* name;
    uint32_t value;
  };
  // Fields that cannot sit at offset 0 (each follows a PyObject header or another field).
  const Field nonzero[] = {
      {"_PyInterpreterFrame.previous", frame_previous},
      {"_PyInterpreterFrame.prev_instr", frame_prev_instr},
      {"_PyInterpreterFrame.owner", frame_owner},
      {"_PyInterpreterFrame.localsplus", frame_localsplus},
      {"PyThreadState.next", tstate_next},
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
  const int minor = MinorVersion(python_version);
  // 3.11/3.12's f_code follows the globals; 3.13+'s f_executable is the frame's first field.
  if (minor <= 12 && frame_code == 0) {
    return absl::FailedPreconditionError(
        "CPython layout: _PyInterpreterFrame.f_code at offset 0 cannot be right");
  }
  if ((python_version >> 24) != 3 || minor < 11 || minor > 15) {
    return absl::FailedPreconditionError(absl::StrCat(
        "CPython layout: version ", python_version >> 24, ".", minor,
        " is not one pyreplay reads (3.11 to 3.15)"));
  }
  for (const Field& f : nonzero) {
    if (f.value == 0 || f.value > 4096) {
      return absl::FailedPreconditionError(absl::StrCat(
          "CPython layout: ", f.name, " at offset ", f.value, " cannot be right for CPython 3.",
          minor, " (are its debug symbols those of this build?)"));
    }
  }
  // 3.11/3.12 reach the frame through the thread's _PyCFrame; 3.13+ from the thread state.
  const bool via_cframe = minor <= 12;
  if (via_cframe ? (tstate_cframe == 0 || tstate_current_frame != 0)
                 : (tstate_current_frame == 0 || tstate_cframe != 0)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "CPython layout: CPython 3.", minor, " keeps the current frame in ",
        via_cframe ? "tstate->cframe" : "tstate->current_frame",
        ", but the layout has the other"));
  }
  if (code_code_adaptive <= code_linetable || code_code_adaptive > 1024) {
    return absl::FailedPreconditionError(
        "CPython layout: co_code_adaptive must follow co_linetable");
  }
  return absl::OkStatus();
}

absl::Status SetLayoutField(CPythonLayout* layout, const std::string& name, uint64_t value) {
  if (name == "unicode_type") {
    layout->unicode_type = value;
  } else if (name == "bytes_type") {
    layout->bytes_type = value;
  } else if (name == "code_type") {
    layout->code_type = value;

  } else {
    for (const NamedField& f : kLayoutFields) {
      if (name == f.name) {
        if (value > UINT32_MAX) {
          return absl::InvalidArgumentError(absl::StrCat("layout field ", name, " is too large"));
        }
        layout->*(f.offset) = static_cast<uint32_t>(value);
        return absl::OkStatus();
      }
    }
    return absl::InvalidArgumentError(absl::StrCat("unknown layout field ", name));
  }
  return absl::OkStatus();
}

uint32_t LayoutField(const CPythonLayout& layout, const std::string& name) {
  for (const NamedField& f : kLayoutFields) {
    if (name == f.name) return layout.*(f.offset);
  }
  return 0;
}

std::vector<std::string> LayoutOffsetNames() {
  std::vector<std::string> names;
  for (const NamedField& f : kLayoutFields) names.push_back(f.name);
  return names;
}

}  // namespace pyreplay
