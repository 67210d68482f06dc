#include "replay/pyvalues/value_reader.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "replay/pyvalues/fake_heap_for_test.h"
#include "replay/pyvalues/frame_values.h"
#include "replay/pyvalues/value_expression.h"

namespace pyreplay {
namespace {

class ValueReaderTest : public ::testing::Test {
 protected:
  std::string Repr(uint64_t object, ValueOptions options = {}) {
    ValueReader values(heap.layout, &heap);
    return values.Read(object, options).repr;
  }
  FakeHeap heap;
};

TEST_F(ValueReaderTest, Scalars) {
  EXPECT_EQ(Repr(heap.None()), "None");
  EXPECT_EQ(Repr(heap.Int(0)), "0");
  EXPECT_EQ(Repr(heap.Int(-42)), "-42");
  EXPECT_EQ(Repr(heap.Int(1, "bool")), "True");
  EXPECT_EQ(Repr(heap.Int(0, "bool")), "False");
  EXPECT_EQ(Repr(heap.IntDigits({0, 0, 1}, true)), "-1152921504606846976");
  EXPECT_EQ(Repr(heap.Float(0.1)), "0.1");
  EXPECT_EQ(Repr(heap.Str(U"it's \u20ac")), "\"it's \xe2\x82\xac\"");
  EXPECT_EQ(Repr(heap.Str(U"\U0001F600")), "'\xf0\x9f\x98\x80'");
  EXPECT_EQ(Repr(heap.LegacyStr(u"\u0394x")), "'\xce\x94x'");
  EXPECT_EQ(Repr(heap.Bytes(std::string("\x00'", 2))), "b\"\\x00'\"");
}

TEST_F(ValueReaderTest, ContainersAndChildren) {
  uint64_t one = heap.Int(1), two = heap.Str("two");
  EXPECT_EQ(Repr(heap.Tuple({})), "()");
  EXPECT_EQ(Repr(heap.Tuple({one})), "(1,)");
  EXPECT_EQ(Repr(heap.List({one, two, heap.Tuple({one, two})})), "[1, 'two', (1, 'two')]");
  EXPECT_EQ(Repr(heap.Dict({{two, one}, {0, 0}, {one, heap.None()}})), "{'two': 1, 1: None}");
  EXPECT_EQ(Repr(heap.Dict({})), "{}");
  EXPECT_EQ(Repr(heap.Set({one, two})), "{1, 'two'}");
  EXPECT_EQ(Repr(heap.Set({})), "set()");
  EXPECT_EQ(Repr(heap.Set({one}, true)), "frozenset({1})");
  ValueReader values(heap.layout, &heap);
  PyValue v = values.Read(heap.Dict({{two, one}}, /*unicode=*/true));
  ASSERT_EQ(v.children.size(), 1u);
  EXPECT_EQ(v.children[0].name, "'two'");
  EXPECT_EQ(v.children[0].repr, "1");
  EXPECT_EQ(v.length, 1);
}

TEST_F(ValueReaderTest, SplitTableInInsertionOrder) {
  uint64_t a = heap.Str("a"), b = heap.Str("b");
  uint64_t keys = heap.Keys({{a, 0}, {b, 0}}, true);
  uint64_t values = heap.SplitValues({heap.Int(1), heap.Int(2)}, {1, 0});
  EXPECT_EQ(Repr(heap.SplitDict(keys, values, 2)), "{'b': 2, 'a': 1}");
}

TEST_F(ValueReaderTest, TruncationCyclesAndBadPointers) {
  std::vector<uint64_t> items;
  for (int i = 0; i < 10; ++i) items.push_back(heap.Int(i));
  ValueReader values(heap.layout, &heap);
  PyValue v = values.Read(heap.List(items), {.max_items = 3});
  EXPECT_EQ(v.repr, "[0, 1, 2, ... 7 more]");
  EXPECT_TRUE(v.truncated);
  EXPECT_EQ(v.length, 10);
  EXPECT_EQ(v.children.size(), 3u);

  uint64_t cyclic = heap.List({heap.Int(1), 0});
  heap.SetListItem(cyclic, 1, cyclic);
  EXPECT_EQ(Repr(cyclic), "[1, [...]]");

  uint64_t bad = heap.List({heap.Int(7), 0xdead0000});
  EXPECT_EQ(Repr(bad), "[7, <unreadable object at 0xdead0000: object at 0xdead0000 is not "
                       "readable>]");
  PyValue unreadable = values.Read(0xbad000);
  EXPECT_FALSE(unreadable.readable);
}

TEST_F(ValueReaderTest, OtherObjectsAndTheirManagedDict) {
  uint64_t cls = heap.Type("Conn", kTpFlagHeapType | kTpFlagManagedDict);
  uint64_t attrs = heap.Dict({{heap.Str("addr"), heap.Str("127.0.0.1")}}, true);
  uint64_t obj = heap.Alloc(16, 32);
  heap.Put64(obj + 8, cls);
  heap.Put64(obj - 24, attrs);  // 3.11: the managed dict pointer at obj-24
  ValueReader values(heap.layout, &heap);
  PyValue v = values.Read(obj, {.instance_dict = true});
  EXPECT_TRUE(absl::StartsWith(v.repr, "<Conn object at 0x")) << v.repr;
  ASSERT_EQ(v.children.size(), 1u);
  EXPECT_EQ(v.children[0].name, "addr");
  EXPECT_EQ(v.children[0].repr, "'127.0.0.1'");
  absl::StatusOr<uint64_t> addr = values.objects().Attribute(obj, "addr");
  ASSERT_TRUE(addr.ok()) << addr.status();
  EXPECT_EQ(values.Read(*addr).repr, "'127.0.0.1'");
  EXPECT_TRUE(absl::IsNotFound(values.objects().Attribute(obj, "nope").status()));
}

// 3.13+: attributes as inline values after tp_basicsize, named by the type's cached keys, in
// the order stored after values[capacity]; an int's sign in lv_tag.
TEST_F(ValueReaderTest, InlineValuesAndLvTagOf313) {
  heap.layout.python_version = 0x030D01F0;
  uint64_t cls = heap.Type("Point", kTpFlagHeapType | kTpFlagManagedDict | kTpFlagInlineValues);
  heap.Put64(cls + heap.layout.type_basicsize, 16);
  uint64_t x = heap.Str("x"), y = heap.Str("y");
  heap.Put64(cls + heap.layout.heaptype_cached_keys, heap.Keys({{x, 0}, {y, 0}}, true));
  uint64_t minus_five = heap.Object("int", kTpFlagLongSubclass, 32);
  heap.Put64(minus_five + 16, (1 << 3) | 2);  // one digit, negative
  heap.Put32(minus_five + 24, 5);
  uint64_t obj = heap.Alloc(16 + 8 + 16 + 2, 24);
  heap.Put64(obj + 8, cls);
  const uint8_t head[4] = {2, 2, 1, 1};  // capacity, size, embedded, valid
  heap.Put(obj + 16, head, 4);
  uint64_t zero = heap.Object("int", kTpFlagLongSubclass, 32);
  heap.Put64(zero + 16, 1);                   // lv_tag sign 1: zero
  heap.Put64(obj + 24, zero);                 // x
  heap.Put64(obj + 32, minus_five);           // y
  const uint8_t order[2] = {1, 0};            // y was set first
  heap.Put(obj + 40, order, 2);
  ValueReader values(heap.layout, &heap);
  PyValue v = values.Read(obj, {.instance_dict = true});
  ASSERT_EQ(v.children.size(), 2u) << v.repr;
  EXPECT_EQ(v.children[0].name, "y");
  EXPECT_EQ(v.children[0].repr, "-5");
  EXPECT_EQ(v.children[1].name, "x");
  EXPECT_EQ(v.children[1].repr, "0");
}

TEST(ObjectFormats, PerVersionPieces) {
  EXPECT_EQ(ObjectFormatsFor(0x030B02F0).name, "3.11");
  EXPECT_EQ(ObjectFormatsFor(0x030D01F0).name, "3.13");
  EXPECT_EQ(ObjectFormatsFor(0x030E00F0).name, "3.14");
  const LongFormat& lv = *ObjectFormatsFor(0x030D0000).long_format;
  EXPECT_TRUE(lv.Decode((2 << 3) | 2).negative);   // -x, 2 digits
  EXPECT_EQ(lv.Decode((2 << 3) | 2).ndigits, 2u);
  EXPECT_EQ(lv.Decode(1).ndigits, 0u);              // zero
  const LongFormat& size = *ObjectFormatsFor(0x030B0000).long_format;
  EXPECT_TRUE(size.Decode(static_cast<uint64_t>(-3)).negative);
  EXPECT_EQ(size.Decode(static_cast<uint64_t>(-3)).ndigits, 3u);
  EXPECT_EQ(ObjectFormatsFor(0x030E0000).stack_ref->Object(0x1001), 0x1000u);
}

// A frame: localsplus against co_localsplusnames / co_localspluskinds, a cell, an unbound one.
TEST_F(ValueReaderTest, FrameLocalsAndExpressions) {
  const CPythonLayout& l = heap.layout;
  uint64_t code = heap.Alloc(200);
  heap.Put64(code + 8, heap.Type("code"));
  uint64_t names = heap.Tuple({heap.Str("self"), heap.Str("items"), heap.Str("later"),
                               heap.Str("shared")});
  heap.Put32(code + l.code_nlocalsplus, 4);
  heap.Put64(code + l.code_localsplusnames, names);
  heap.Put64(code + l.code_localspluskinds,
             heap.Bytes(std::string({'\x20', '\x20', '\x20', '\x40'})));
  uint64_t cell = heap.Object("cell", 0, 24);
  heap.Put64(cell + l.cell_ob_ref, heap.Int(5));
  uint64_t cls = heap.Type("Client", kTpFlagHeapType | kTpFlagManagedDict);
  uint64_t self = heap.Alloc(16, 32);
  heap.Put64(self + 8, cls);
  uint64_t inner = heap.Dict({{heap.Str("k"), heap.Float(2.5)}, {heap.Int(3), heap.Str("x")}});
  heap.Put64(self - 24, heap.Dict({{heap.Str("conn"), inner}}, true));
  uint64_t items = heap.List({heap.Int(10), heap.Int(20), heap.Int(30)});
  uint64_t globals = heap.Dict({{heap.Str("LIMIT"), heap.Int(99)}}, true);
  uint64_t frame = heap.Alloc(l.frame_localsplus + 32);
  heap.Put64(frame + l.frame_code, code);
  heap.Put64(frame + l.frame_globals, globals);
  heap.Put64(frame + l.frame_localsplus, self);
  heap.Put64(frame + l.frame_localsplus + 8, items);
  heap.Put64(frame + l.frame_localsplus + 24, cell);

  ValueReader values(heap.layout, &heap);
  FrameValues frame_values(&values.objects());
  absl::StatusOr<std::vector<LocalSlot>> locals = frame_values.Locals(frame);
  ASSERT_TRUE(locals.ok()) << locals.status();
  ASSERT_EQ(locals->size(), 4u);
  EXPECT_EQ((*locals)[2].name, "later");
  EXPECT_FALSE((*locals)[2].bound());
  EXPECT_EQ((*locals)[3].cell, cell);
  EXPECT_EQ(values.Read((*locals)[3].object).repr, "5");

  FrameScope scope{.locals = *locals, .globals = *frame_values.Globals(frame),
                   .frame_label = "frame #1", .function = "Client.run"};
  auto eval = [&](const std::string& text) -> std::string {
    absl::StatusOr<Expression> e = ParseExpression(text);
    if (!e.ok()) return std::string(e.status().message());
    absl::StatusOr<uint64_t> o = Evaluate(*e, scope, &values.objects());
    if (!o.ok()) return std::string(o.status().message());
    return values.Read(*o).repr;
  };
  EXPECT_EQ(eval("items"), "[10, 20, 30]");
  EXPECT_EQ(eval("items[0]"), "10");
  EXPECT_EQ(eval("items[-1]"), "30");
  EXPECT_EQ(eval("self.conn['k']"), "2.5");
  EXPECT_EQ(eval("self . conn[3]"), "'x'");
  EXPECT_EQ(eval("shared"), "5");
  EXPECT_EQ(eval("LIMIT"), "99");
  EXPECT_TRUE(absl::StartsWith(eval("later"), "name 'later' is not bound in frame #1"));
  EXPECT_TRUE(absl::StartsWith(eval("nothing"), "name 'nothing' is not defined in frame #1"));
  EXPECT_TRUE(absl::StartsWith(eval("items[3]"), "list index 3 out of range"));
  EXPECT_TRUE(absl::StartsWith(eval("self.conn['zz']"), "key 'zz' is not in the dict"));
  EXPECT_TRUE(absl::StartsWith(eval("items[0] + 1"), kExpressionHelp));
  EXPECT_TRUE(absl::StartsWith(eval("f(x)"), kExpressionHelp));
  EXPECT_TRUE(absl::StartsWith(eval("items[i]"), kExpressionHelp));
  EXPECT_TRUE(absl::StartsWith(eval("self.nope"), "'Client' object at 0x"));
}

}  // namespace
}  // namespace pyreplay
