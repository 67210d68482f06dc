// cpython_layout.h: where CPython 3.11's fields sit, as the interpreter's debug info says.
//
// The gdb layer fills it once per session from gdb types (`gdb.lookup_type(...)`, each field's
// bitpos // 8), so nothing here is a guess about one build. The defaults are the values measured
// for Debian's python3.11 3.11.2 (shared/CPYTHON_NOTES.md); unit tests use them.
//
//   CPythonLayout layout;            // defaults, or fill every field from the debug info
//   RETURN_IF_ERROR(layout.Validate());
#ifndef PYREPLAY_REPLAY_PYFRAMES_CPYTHON_LAYOUT_H_
#define PYREPLAY_REPLAY_PYFRAMES_CPYTHON_LAYOUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace pyreplay {

// CPythonLayout holds the byte offsets (and a few sizes and type addresses) the decoder needs.
struct CPythonLayout {
  // _PyInterpreterFrame
  uint32_t frame_code = 32;        // f_code
  uint32_t frame_previous = 48;    // previous
  uint32_t frame_prev_instr = 56;  // prev_instr
  uint32_t frame_owner = 69;       // owner (char); 3 = FRAME_OWNED_BY_CSTACK (3.12's shim
                                   // frames; 3.11.2 has none, but a skip costs nothing)
  uint32_t frame_localsplus = 72;  // localsplus[0]
  // _PyCFrame
  uint32_t cframe_current_frame = 8;
  // PyThreadState
  uint32_t tstate_next = 8;
  uint32_t tstate_cframe = 56;
  uint32_t tstate_thread_id = 152;
  uint32_t tstate_native_thread_id = 160;
  // PyInterpreterState: threads.head
  uint32_t interp_threads_head = 16;
  // PyCodeObject
  uint32_t code_firstlineno = 72;
  uint32_t code_filename = 112;
  uint32_t code_name = 120;
  uint32_t code_qualname = 128;
  uint32_t code_linetable = 136;
  uint32_t code_firsttraceable = 168;  // _co_firsttraceable: frames before it are incomplete
  uint32_t code_code_adaptive = 184;
  // PyObject / PyVarObject
  uint32_t object_type = 8;        // ob_type
  uint32_t var_size = 16;          // ob_size
  // PyBytesObject
  uint32_t bytes_sval = 32;        // ob_sval
  // PyUnicode: PyASCIIObject.length, .state (its bit fields), sizes of the compact headers, and
  // PyUnicodeObject.data (legacy, non-compact strings).
  uint32_t unicode_length = 16;
  uint32_t unicode_state = 32;
  uint32_t unicode_kind_shift = 2;     // state.kind: 3 bits
  uint32_t unicode_compact_bit = 5;
  uint32_t unicode_ascii_bit = 6;
  uint32_t ascii_object_size = 48;     // sizeof(PyASCIIObject): compact ASCII data follows
  uint32_t compact_object_size = 72;   // sizeof(PyCompactUnicodeObject): compact data follows
  uint32_t unicode_data = 72;          // PyUnicodeObject.data.any
  // PyTypeObject / PyHeapTypeObject
  uint32_t type_flags = 168;           // tp_flags
  uint32_t heaptype_cached_keys = 872; // ht_cached_keys
  // PyDictObject / PyDictKeysObject
  uint32_t dict_keys = 32;             // ma_keys
  uint32_t dict_values = 40;           // ma_values
  uint32_t keys_log2_size = 8;
  uint32_t keys_log2_index_bytes = 9;
  uint32_t keys_kind = 10;
  uint32_t keys_nentries = 24;
  uint32_t keys_indices = 32;
  // Type objects' addresses (&PyUnicode_Type, ...). When non-zero, an object's ob_type must match
  // before it is decoded: a stale pointer is caught instead of read as garbage.
  uint64_t unicode_type = 0;
  uint64_t bytes_type = 0;
  uint64_t code_type = 0;

  // Object offsets for reading values (replay/pyvalues/), named after _Py_DebugOffsets' fields
  // where it has them, so a 3.13+ layout can fill them from there. Defaults: 3.11.2 as above.
  uint32_t frame_globals = 8;          // _PyInterpreterFrame.f_globals
  uint32_t code_nlocalsplus = 76;      // co_nlocalsplus
  uint32_t code_localsplusnames = 96;  // co_localsplusnames (tuple of str)
  uint32_t code_localspluskinds = 104; // co_localspluskinds (bytes, one kind per local)
  uint32_t type_name = 24;             // tp_name (char*)
  uint32_t type_basicsize = 32;        // tp_basicsize (3.13+: inline values follow it)
  uint32_t type_dict = 264;            // tp_dict
  uint32_t type_dictoffset = 288;      // tp_dictoffset
  uint32_t type_mro = 344;             // tp_mro (tuple)
  uint32_t heaptype_qualname = 864;    // ht_qualname
  uint32_t tuple_ob_item = 24;
  uint32_t list_ob_item = 24;          // PyObject** ob_item
  uint32_t float_ob_fval = 16;
  uint32_t long_lv_tag = 16;           // 3.12+ lv_tag; 3.11: ob_size (the sign is its sign)
  uint32_t long_ob_digit = 24;
  uint32_t dict_ma_used = 16;
  uint32_t set_used = 24;
  uint32_t set_mask = 32;
  uint32_t set_table = 40;             // setentry* {key, hash}
  uint32_t cell_ob_ref = 16;           // PyCellObject.ob_ref
  uint32_t module_dict = 16;           // PyModuleObject.md_dict
  uint32_t member_descr_member = 40;   // PyMemberDescrObject.d_member (PyMemberDef*)
  uint32_t member_def_type = 8;        // PyMemberDef.type
  uint32_t member_def_offset = 16;     // PyMemberDef.offset
  uint32_t function_qualname = 40;     // PyFunctionObject.func_qualname
  // Py_Version (PY_VERSION_HEX) of the interpreter: picks the per-version object formats
  // (replay/pyvalues/object_formats.h). Not an offset.
  uint64_t py_version = 0x030B02F0;

  // Validate rejects offsets that cannot be right (e.g. zero where a field cannot start at 0).
  absl::Status Validate() const;
};

// Py_TPFLAGS_MANAGED_DICT (3.11): the instance's dict or values pointer sits before the object.
inline constexpr uint64_t kManagedDictFlag = 1ull << 4;
// FRAME_OWNED_BY_CSTACK: an entry frame pushed by C code, not a Python frame.
inline constexpr uint8_t kFrameOwnedByCStack = 3;

// SetLayoutField sets one field by its name in the gdb layer's layout dict ("frame_code", ...,
// "unicode_type"). InvalidArgument for an unknown name or an offset that does not fit.
absl::Status SetLayoutField(CPythonLayout* layout, const std::string& name, uint64_t value);

// LayoutOffsetNames lists the offset fields' names (not the type addresses).
std::vector<std::string> LayoutOffsetNames();

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_PYFRAMES_CPYTHON_LAYOUT_H_
