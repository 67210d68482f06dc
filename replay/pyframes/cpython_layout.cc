#include "replay/pyframes/cpython_layout.h"

#include "absl/strings/str_cat.h"

namespace pyreplay {
namespace {

// kLayoutFields names every offset field, as the gdb layer's layout dict keys them.
struct LayoutField {
  const char* name;
  uint32_t CPythonLayout::*offset;
};

constexpr LayoutField kLayoutFields[] = {
    {"frame_code", &CPythonLayout::frame_code},
    {"frame_previous", &CPythonLayout::frame_previous},
    {"frame_prev_instr", &CPythonLayout::frame_prev_instr},
    {"frame_owner", &CPythonLayout::frame_owner},
    {"frame_localsplus", &CPythonLayout::frame_localsplus},
    {"cframe_current_frame", &CPythonLayout::cframe_current_frame},
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
    {"type_basicsize", &CPythonLayout::type_basicsize},
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

absl::Status SetLayoutField(CPythonLayout* layout, const std::string& name, uint64_t value) {
  if (name == "unicode_type") {
    layout->unicode_type = value;
  } else if (name == "bytes_type") {
    layout->bytes_type = value;
  } else if (name == "code_type") {
    layout->code_type = value;
  } else if (name == "py_version") {
    layout->py_version = value;
  } else {
    for (const LayoutField& f : kLayoutFields) {
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

std::vector<std::string> LayoutOffsetNames() {
  std::vector<std::string> names;
  for (const LayoutField& f : kLayoutFields) names.push_back(f.name);
  return names;
}

}  // namespace pyreplay
