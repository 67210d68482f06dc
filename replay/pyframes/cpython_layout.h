// cpython_layout.h: where one CPython build's fields sit (3.11 to 3.15, default or free-threaded).
//
// It comes from one of three sources (interpreter_layout.h picks): CPython's own
// `_Py_DebugOffsets` table (3.13+, read from the ELF file: no debug symbols needed), the debug
// info (gdb types, 3.11/3.12), or a per-version table (version_tables.h) for a 3.11/3.12 build
// without symbols. The defaults are Debian's python3.11 3.11.2 (docs/CPYTHON.md); unit tests use
// them. `python_version` (PY_VERSION_HEX) picks the frame model (frame_model.h).
//
//   CPythonLayout layout;            // defaults, or fill every field from one source
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
  // PY_VERSION_HEX of the build (0x030b02f0 is 3.11.2 final); its minor version picks the model.
  uint32_t python_version = 0x030b02f0;
  uint32_t free_threaded = 0;      // 1 for a Py_GIL_DISABLED build (3.13t, 3.14t)
  // _PyInterpreterFrame
  uint32_t frame_code = 32;        // f_code (3.11, 3.12), f_executable (3.13+)
  uint32_t frame_previous = 48;    // previous
  uint32_t frame_prev_instr = 56;  // prev_instr (3.11, 3.12), instr_ptr (3.13+)
  uint32_t frame_tlbc_index = 0;   // tlbc_index (3.14 free-threaded only; 0: none)
  uint32_t frame_owner = 69;       // owner (char); 3 = FRAME_OWNED_BY_CSTACK (3.12's shim
                                   // frames; 3.11.2 has none, but a skip costs nothing)
  uint32_t frame_localsplus = 72;  // localsplus[0]
  // _PyCFrame (3.11, 3.12 only)
  uint32_t cframe_current_frame = 8;
  uint32_t cframe_previous = 16;
  // PyThreadState
  uint32_t tstate_next = 8;
  uint32_t tstate_cframe = 56;     // cframe (3.11, 3.12); 0 from 3.13 on
  uint32_t tstate_current_frame = 0;  // current_frame (3.13+); 0 before
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
  uint32_t code_exceptiontable = 48;   // co_exceptiontable (the stepper's line starts)
  uint32_t code_tlbc = 0;              // co_tlbc (3.14 free-threaded only; 0: none)
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
  uint32_t type_basicsize = 32;        // tp_basicsize (3.13+: inline values follow it)
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

  // Validate rejects offsets that cannot be right (e.g. zero where a field cannot start at 0).
  absl::Status Validate() const;
};

// Py_TPFLAGS_MANAGED_DICT (3.11+): the instance's dict pointer sits before the object.
inline constexpr uint64_t kManagedDictFlag = 1ull << 4;
// Py_TPFLAGS_INLINE_VALUES (3.13+): the instance's values follow it, at tp_basicsize.
inline constexpr uint64_t kInlineValuesFlag = 1ull << 2;
// FRAME_OWNED_BY_CSTACK (3.11-3.13: 3): an entry frame pushed by C code, not a Python frame.
// 3.14 numbers FRAME_OWNED_BY_INTERPRETER 3 and FRAME_OWNED_BY_CSTACK 4; neither is a Python
// frame, so every version skips owners >= 3.
inline constexpr uint8_t kFrameOwnedByCStack = 3;
inline constexpr uint8_t kFrameOwnedByGenerator = 1;

// MinorVersion is 11 for 3.11.x (from PY_VERSION_HEX).
inline int MinorVersion(uint32_t version_hex) { return (version_hex >> 16) & 0xff; }

// SetLayoutField sets one field by its name in the gdb layer's layout dict ("frame_code", ...,
// "unicode_type"). InvalidArgument for an unknown name or an offset that does not fit.
absl::Status SetLayoutField(CPythonLayout* layout, const std::string& name, uint64_t value);

// LayoutField is the offset field called `name`, 0 for an unknown name.
uint32_t LayoutField(const CPythonLayout& layout, const std::string& name);

// LayoutOffsetNames lists the offset fields' names (not the type addresses).
std::vector<std::string> LayoutOffsetNames();

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_PYFRAMES_CPYTHON_LAYOUT_H_
