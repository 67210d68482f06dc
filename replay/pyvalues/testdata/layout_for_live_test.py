"""gdb script: prints the values layout (CPythonLayout field -> offset, as JSON) of a CPython
binary from its debug info, for live_values_test.cc on another interpreter:

  gdb -batch -nx -ex "set debug-file-directory ROOT/usr/lib/debug" -ex "file ROOT/usr/bin/python3.13" \
      -ex "source replay/pyvalues/testdata/layout_for_live_test.py" | sed -n "s/^LAYOUT //p" > layout.json
"""
import json

import gdb

F = {
 "object_type": ("PyObject", "ob_type"), "var_size": ("PyVarObject", "ob_size"),
 "bytes_sval": ("PyBytesObject", "ob_sval"),
 "unicode_length": ("PyASCIIObject", "length"), "unicode_state": ("PyASCIIObject", "state"),
 "unicode_data": ("PyUnicodeObject", "data"),
 "type_flags": ("PyTypeObject", "tp_flags"), "type_name": ("PyTypeObject", "tp_name"),
 "type_basicsize": ("PyTypeObject", "tp_basicsize"), "type_dict": ("PyTypeObject", "tp_dict"),
 "type_dictoffset": ("PyTypeObject", "tp_dictoffset"), "type_mro": ("PyTypeObject", "tp_mro"),
 "heaptype_cached_keys": ("PyHeapTypeObject", "ht_cached_keys"),
 "heaptype_qualname": ("PyHeapTypeObject", "ht_qualname"),
 "dict_keys": ("PyDictObject", "ma_keys"), "dict_values": ("PyDictObject", "ma_values"),
 "dict_ma_used": ("PyDictObject", "ma_used"),
 "keys_log2_size": ("PyDictKeysObject", "dk_log2_size"),
 "keys_log2_index_bytes": ("PyDictKeysObject", "dk_log2_index_bytes"),
 "keys_kind": ("PyDictKeysObject", "dk_kind"), "keys_nentries": ("PyDictKeysObject", "dk_nentries"),
 "keys_indices": ("PyDictKeysObject", "dk_indices"),
 "tuple_ob_item": ("PyTupleObject", "ob_item"), "list_ob_item": ("PyListObject", "ob_item"),
 "float_ob_fval": ("PyFloatObject", "ob_fval"),
 "long_lv_tag": ("PyLongObject", "long_value.lv_tag"), "long_ob_digit": ("PyLongObject", "long_value.ob_digit"),
 "set_used": ("PySetObject", "used"), "set_mask": ("PySetObject", "mask"), "set_table": ("PySetObject", "table"),
 "cell_ob_ref": ("PyCellObject", "ob_ref"), "module_dict": ("PyModuleObject", "md_dict"),
 "member_descr_member": ("PyMemberDescrObject", "d_member"),
 "member_def_type": ("PyMemberDef", "type"), "member_def_offset": ("PyMemberDef", "offset"),
 "function_qualname": ("PyFunctionObject", "func_qualname"),
}
def off(t, f):
    ty = gdb.lookup_type(t).strip_typedefs(); tot = 0
    for name in f.split('.'):
        fl = {x.name: x for x in ty.fields()}[name]
        tot += fl.bitpos; ty = fl.type.strip_typedefs()
    return tot // 8
out = {k: off(*v) for k, v in F.items()}
state = {f.name: f for f in gdb.lookup_type("PyASCIIObject").fields()}["state"].type
bits = {f.name: f.bitpos for f in state.strip_typedefs().fields()}
out["unicode_kind_shift"] = bits["kind"]; out["unicode_compact_bit"] = bits["compact"]; out["unicode_ascii_bit"] = bits["ascii"]
out["ascii_object_size"] = gdb.lookup_type("PyASCIIObject").sizeof
out["compact_object_size"] = gdb.lookup_type("PyCompactUnicodeObject").sizeof
out["python_version"] = int(gdb.parse_and_eval("Py_Version"))
print("LAYOUT " + json.dumps(out))
