#include "replay/pyframes/frame_decoder.h"

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace pyreplay {
namespace {

constexpr uint64_t kUnicodeType = 0x9000;
constexpr uint64_t kBytesType = 0x9100;
constexpr uint64_t kCodeType = 0x9200;

// FakeMemory is a sparse address space of regions, built by the helpers below with the default
// (Debian 3.11.2) layout. Reads that touch any byte outside a region fail.
class FakeMemory : public MemoryReader {
 public:
  bool Read(uint64_t address, void* out, size_t len) override {
    auto it = regions_.upper_bound(address);
    if (it == regions_.begin()) return false;
    --it;
    const uint64_t base = it->first;
    const std::string& bytes = it->second;
    if (address + len > base + bytes.size()) return false;
    memcpy(out, bytes.data() + (address - base), len);
    return true;
  }

  // Alloc reserves `size` zero bytes, with `before` bytes in front, and returns the address after
  // them. Regions are spaced apart so that running off one never reads another.
  uint64_t Alloc(size_t size, size_t before = 0) {
    uint64_t base = next_;
    next_ += ((before + size + 0xfff) & ~uint64_t{0xfff}) + 0x1000;
    regions_[base] = std::string(before + size, '\0');
    return base + before;
  }
  void Put64(uint64_t address, uint64_t v) { PutBytes(address, &v, 8); }
  void Put32(uint64_t address, uint32_t v) { PutBytes(address, &v, 4); }
  void Put8(uint64_t address, uint8_t v) { PutBytes(address, &v, 1); }
  void PutBytes(uint64_t address, const void* data, size_t len) {
    auto it = --regions_.upper_bound(address);
    memcpy(it->second.data() + (address - it->first), data, len);
  }

  uint64_t Str(const std::string& s) {
    uint64_t o = Alloc(48 + s.size() + 1);
    Put64(o + 8, kUnicodeType);
    Put64(o + 16, s.size());
    Put32(o + 32, (1u << 2) | (1u << 5) | (1u << 6) | (1u << 7));  // kind 1, compact, ascii, ready
    PutBytes(o + 48, s.data(), s.size());
    return o;
  }
  uint64_t Ucs2Str(const std::u16string& s) {
    uint64_t o = Alloc(72 + 2 * (s.size() + 1));
    Put64(o + 8, kUnicodeType);
    Put64(o + 16, s.size());
    Put32(o + 32, (2u << 2) | (1u << 5) | (1u << 7));  // kind 2, compact, not ascii
    PutBytes(o + 72, s.data(), 2 * s.size());
    return o;
  }
  uint64_t Bytes(const std::string& data) {
    uint64_t o = Alloc(32 + data.size() + 1);
    Put64(o + 8, kBytesType);
    Put64(o + 16, data.size());
    PutBytes(o + 32, data.data(), data.size());
    return o;
  }
  uint64_t Code(const std::string& file, const std::string& name, const std::string& qualname,
                int first_line, const std::string& linetable_hex, int first_traceable = 0) {
    uint64_t o = Alloc(184 + 400);
    Put64(o + 8, kCodeType);
    Put32(o + 72, first_line);
    Put64(o + 112, Str(file));
    Put64(o + 120, Str(name));
    Put64(o + 128, Str(qualname));
    Put64(o + 136, Bytes(absl::HexStringToBytes(linetable_hex)));
    Put32(o + 168, first_traceable);
    return o;
  }
  uint64_t Frame(uint64_t code, int lasti, uint64_t previous, uint8_t owner = 0,
                 uint64_t first_local = 0) {
    uint64_t f = Alloc(88);
    Put64(f + 32, code);
    Put64(f + 48, previous);
    Put64(f + 56, code + 184 + 2 * static_cast<int64_t>(lasti));
    Put8(f + 69, owner);
    Put64(f + 72, first_local);
    return f;
  }
  // ThreadState returns a PyThreadState whose cframe->current_frame is `frame`.
  uint64_t ThreadState(uint64_t frame, uint64_t thread_id, int64_t native, uint64_t next = 0) {
    uint64_t cframe = Alloc(24);
    Put64(cframe + 8, frame);
    uint64_t t = Alloc(200);
    Put64(t + 8, next);
    Put64(t + 56, cframe);
    Put64(t + 152, thread_id);
    Put64(t + 160, static_cast<uint64_t>(native));
    return t;
  }
  uint64_t Interp(uint64_t head) {
    uint64_t i = Alloc(64);
    Put64(i + 16, head);
    return i;
  }
  // KeysObject is a PyDictKeysObject of 8 slots holding `keys` (str) with `values`.
  uint64_t Keys(const std::vector<std::string>& keys, const std::vector<uint64_t>& values,
                bool unicode) {
    const size_t entry = unicode ? 16 : 24;
    uint64_t k = Alloc(32 + 8 + entry * keys.size());
    Put8(k + 8, 3);   // log2 size
    Put8(k + 9, 3);   // log2 index bytes: 8 one-byte indices
    Put8(k + 10, unicode ? 1 : 0);
    Put64(k + 24, keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
      uint64_t e = k + 32 + 8 + entry * i;
      if (!unicode) Put64(e, 0x1234 + i), e += 8;  // me_hash
      Put64(e, Str(keys[i]));
      Put64(e + 8, values.empty() ? 0 : values[i]);
    }
    return k;
  }

 private:
  std::map<uint64_t, std::string> regions_;
  uint64_t next_ = 0x100000;
};

// A line table for a function at line 10 whose code units 0..3 are on lines 10, 11, 12, 13
// (code 11: one-line form, +1 line, two column bytes).
constexpr char kFourLines[] = "8000d80000d80000d80000";

CPythonLayout TestLayout() {
  CPythonLayout layout;
  layout.unicode_type = kUnicodeType;
  layout.bytes_type = kBytesType;
  layout.code_type = kCodeType;
  return layout;
}

TEST(FrameDecoderTest, WalksFramesInnermostFirstWithLinesAndQualnames) {
  FakeMemory mem;
  uint64_t outer_code = mem.Code("/app/main.py", "<module>", "<module>", 10, kFourLines);
  uint64_t inner_code = mem.Code("/app/main.py", "run", "Server.run", 10, kFourLines);
  uint64_t outer = mem.Frame(outer_code, 3, 0);
  uint64_t shim = mem.Frame(outer_code, 0, outer, kFrameOwnedByCStack);
  uint64_t fresh = mem.Frame(inner_code, -1, shim);  // pushed, not started: skipped
  uint64_t inner = mem.Frame(inner_code, 1, fresh);
  uint64_t tstate = mem.ThreadState(inner, 0x7f00, 4242);

  FrameDecoder decoder(TestLayout(), &mem);
  absl::StatusOr<std::vector<PyFrame>> stack = decoder.Stack(tstate);
  ASSERT_TRUE(stack.ok()) << stack.status();
  ASSERT_EQ(stack->size(), 2u);
  EXPECT_EQ((*stack)[0].qualname, "Server.run");
  EXPECT_EQ((*stack)[0].name, "run");
  EXPECT_EQ((*stack)[0].line, 11);
  EXPECT_EQ((*stack)[0].lasti, 1);
  EXPECT_EQ((*stack)[0].Describe(), "/app/main.py:11 in Server.run");
  EXPECT_EQ((*stack)[1].qualname, "<module>");
  EXPECT_EQ((*stack)[1].line, 13);
}

TEST(FrameDecoderTest, CachesCodeObjects) {
  FakeMemory mem;
  uint64_t code = mem.Code("/a.py", "f", "f", 10, kFourLines);
  uint64_t f3 = mem.Frame(code, 0, 0);
  uint64_t f2 = mem.Frame(code, 1, f3);
  uint64_t f1 = mem.Frame(code, 2, f2);
  FrameDecoder decoder(TestLayout(), &mem);
  std::vector<PyFrame> stack = decoder.StackFromFrame(f1);
  ASSERT_EQ(stack.size(), 3u);
  EXPECT_EQ(stack[0].line, 12);
  EXPECT_EQ(stack[2].line, 10);
  EXPECT_EQ(decoder.code_cache_size(), 1u);
  uint64_t first_reads = decoder.reads();
  decoder.StackFromFrame(f1);
  // Second walk: one read per frame and one for its code header, no strings or tables.
  EXPECT_EQ(decoder.reads() - first_reads, 6u);
}

TEST(FrameDecoderTest, ReusedCodeAddressIsDecodedAfresh) {
  FakeMemory mem;
  uint64_t code = mem.Code("/a.py", "f", "f", 10, kFourLines);
  uint64_t frame = mem.Frame(code, 0, 0);
  FrameDecoder decoder(TestLayout(), &mem);
  EXPECT_EQ(decoder.StackFromFrame(frame)[0].name, "f");
  mem.Put64(code + 120, mem.Str("g"));  // another code object now lives there
  mem.Put64(code + 128, mem.Str("g"));
  EXPECT_EQ(decoder.StackFromFrame(frame)[0].name, "g");
}

TEST(FrameDecoderTest, UnreadableFrameEndsTheStackWithAMarker) {
  FakeMemory mem;
  uint64_t code = mem.Code("/a.py", "f", "f", 10, kFourLines);
  uint64_t frame = mem.Frame(code, 0, 0xdead0000);
  FrameDecoder decoder(TestLayout(), &mem);
  std::vector<PyFrame> stack = decoder.StackFromFrame(frame);
  ASSERT_EQ(stack.size(), 2u);
  EXPECT_FALSE(stack[1].readable);
  EXPECT_EQ(stack[1].Describe(), "<unreadable frame at 0xdead0000>: memory not readable");
}

TEST(FrameDecoderTest, FrameWhoseCodeIsNotACodeObjectIsMarked) {
  FakeMemory mem;
  uint64_t not_code = mem.Bytes(std::string(300, 'x'));  // readable, but no code object
  uint64_t code = mem.Code("/a.py", "f", "f", 10, kFourLines);
  uint64_t outer = mem.Frame(code, 0, 0);
  uint64_t frame = mem.Frame(not_code, 0, outer);
  FrameDecoder decoder(TestLayout(), &mem);
  std::vector<PyFrame> stack = decoder.StackFromFrame(frame);
  ASSERT_EQ(stack.size(), 2u);
  EXPECT_FALSE(stack[0].readable);
  EXPECT_TRUE(absl::StrContains(stack[0].error, "not a code object")) << stack[0].error;
  EXPECT_TRUE(stack[1].readable);  // the walk goes on past a bad code object
}

TEST(FrameDecoderTest, LoopsAndDepthAreBounded) {
  FakeMemory mem;
  uint64_t code = mem.Code("/a.py", "f", "f", 10, kFourLines);
  uint64_t a = mem.Frame(code, 0, 0);
  uint64_t b = mem.Frame(code, 0, a);
  mem.Put64(a + 48, b);  // a -> b -> a
  FrameDecoder decoder(TestLayout(), &mem);
  std::vector<PyFrame> stack = decoder.StackFromFrame(b);
  ASSERT_EQ(stack.size(), 3u);
  EXPECT_TRUE(absl::StrContains(stack[2].error, "loops")) << stack[2].error;

  uint64_t top = 0;
  for (int i = 0; i < kMaxFrames + 10; ++i) top = mem.Frame(code, 0, top);
  stack = decoder.StackFromFrame(top);
  ASSERT_EQ(stack.size(), static_cast<size_t>(kMaxFrames) + 1);
  EXPECT_TRUE(absl::StrContains(stack.back().error, "deeper")) << stack.back().error;
}

TEST(FrameDecoderTest, BadPrevInstrIsMarked) {
  FakeMemory mem;
  uint64_t code = mem.Code("/a.py", "f", "f", 10, kFourLines);
  uint64_t frame = mem.Frame(code, 0, 0);
  mem.Put64(frame + 56, 0x10);  // far before the code
  FrameDecoder decoder(TestLayout(), &mem);
  std::vector<PyFrame> stack = decoder.StackFromFrame(frame);
  ASSERT_EQ(stack.size(), 1u);
  EXPECT_FALSE(stack[0].readable);
  EXPECT_TRUE(absl::StrContains(stack[0].Describe(), "prev_instr")) << stack[0].Describe();
}

TEST(FrameDecoderTest, ThreadWithoutPythonFrames) {
  FakeMemory mem;
  uint64_t tstate = mem.ThreadState(0, 1, 77);
  FrameDecoder decoder(TestLayout(), &mem);
  absl::StatusOr<std::vector<PyFrame>> stack = decoder.Stack(tstate);
  ASSERT_TRUE(stack.ok());
  EXPECT_TRUE(stack->empty());
  EXPECT_EQ(decoder.Stack(0xbad000).status().code(), absl::StatusCode::kDataLoss);
}

TEST(FrameDecoderTest, DecodesStringsOfEveryKindWithBounds) {
  FakeMemory mem;
  FrameDecoder decoder(TestLayout(), &mem);
  EXPECT_EQ(*decoder.ReadString(mem.Str("hello")), "hello");
  EXPECT_EQ(*decoder.ReadString(mem.Str("")), "");
  EXPECT_EQ(*decoder.ReadString(mem.Ucs2Str(u"caf\u00e9 \u4e16")), "caf\xc3\xa9 \xe4\xb8\x96");
  std::string long_name(10000, 'x');
  absl::StatusOr<std::string> truncated = decoder.ReadString(mem.Str(long_name), 100);
  ASSERT_TRUE(truncated.ok());
  EXPECT_EQ(*truncated, std::string(100, 'x') + "...");
  EXPECT_EQ(decoder.ReadString(mem.Bytes("abc")).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(decoder.ReadString(0x42).status().code(), absl::StatusCode::kDataLoss);
}

TEST(FrameDecoderTest, ListsThreadStatesAndPicksTheOneWithAFrame) {
  FakeMemory mem;
  uint64_t code = mem.Code("/a.py", "f", "f", 10, kFourLines);
  uint64_t frame = mem.Frame(code, 0, 0);
  uint64_t t3 = mem.ThreadState(frame, 3, 1003);
  uint64_t t2 = mem.ThreadState(0, 2, 1003, t3);  // a child state made by its parent: no frame
  uint64_t t1 = mem.ThreadState(frame, 1, 1001, t2);
  uint64_t interp = mem.Interp(t1);
  FrameDecoder decoder(TestLayout(), &mem);
  absl::StatusOr<std::vector<ThreadStateInfo>> states = decoder.ThreadStates(interp);
  ASSERT_TRUE(states.ok());
  ASSERT_EQ(states->size(), 3u);
  EXPECT_EQ((*states)[0].native_thread_id, 1001);
  EXPECT_EQ((*states)[1].current_frame, 0u);
  absl::StatusOr<ThreadStateInfo> picked = decoder.ThreadStateFor(interp, 1003);
  ASSERT_TRUE(picked.ok());
  EXPECT_EQ(picked->address, t3);
  absl::Status missing = decoder.ThreadStateFor(interp, 999).status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(missing.message(), "no Python thread state")) << missing;

  mem.Put64(t3 + 8, t1);  // a cycle in the list ends, too
  EXPECT_EQ(decoder.ThreadStates(interp)->size(), 3u);
}

// A threading.Thread instance: its type has a managed dict; `values` or `dict` hold `_name`.
struct FakeThread {
  uint64_t object;
  uint64_t name;
};

FakeThread MakeThread(FakeMemory& mem, const std::string& name, bool materialized_dict) {
  uint64_t type = mem.Alloc(900);
  mem.Put64(type + 168, kManagedDictFlag);
  uint64_t object = mem.Alloc(16, 32);
  mem.Put64(object + 8, type);
  uint64_t name_str = mem.Str(name);
  if (materialized_dict) {
    uint64_t keys = mem.Keys({"_target", "_name"}, {0x1, name_str}, /*unicode=*/false);
    uint64_t dict = mem.Alloc(48);
    mem.Put64(dict + 32, keys);
    mem.Put64(object - 24, dict);
  } else {
    uint64_t keys = mem.Keys({"_target", "_name", "_args"}, {}, /*unicode=*/true);
    mem.Put64(type + 872, keys);
    uint64_t values = mem.Alloc(24);
    mem.Put64(values + 8, name_str);
    mem.Put64(object - 32, values);
  }
  return {object, name_str};
}

TEST(FrameDecoderTest, ThreadNameFromTheBootstrapFramesSelf) {
  for (bool materialized : {false, true}) {
    FakeMemory mem;
    FakeThread thread = MakeThread(mem, "client-2", materialized);
    uint64_t boot = mem.Code("/usr/lib/python3.11/threading.py", "_bootstrap",
                             "Thread._bootstrap", 10, kFourLines);
    uint64_t work = mem.Code("/app/s.py", "client", "client", 10, kFourLines);
    uint64_t bottom = mem.Frame(boot, 0, 0, 0, thread.object);
    uint64_t top = mem.Frame(work, 2, bottom);
    FrameDecoder decoder(TestLayout(), &mem);
    std::vector<PyFrame> stack = decoder.StackFromFrame(top);
    absl::StatusOr<std::string> name = decoder.ThreadName(stack);
    ASSERT_TRUE(name.ok()) << name.status();
    EXPECT_EQ(*name, "client-2");
    EXPECT_EQ(*decoder.InstanceAttribute(thread.object, "_name"), thread.name);
    EXPECT_EQ(decoder.InstanceAttribute(thread.object, "_nope").status().code(),
              absl::StatusCode::kNotFound);

    // Its parent, inside Thread.start(), knows the name before the thread runs.
    uint64_t start = mem.Code("/usr/lib/python3.11/threading.py", "start", "Thread.start", 10,
                              kFourLines);
    uint64_t parent = mem.Frame(start, 1, mem.Frame(work, 0, 0), 0, thread.object);
    EXPECT_EQ(*decoder.StartingThreadName(decoder.StackFromFrame(parent)), "client-2");

    // The main thread has no bootstrap frame.
    EXPECT_EQ(decoder.ThreadName(decoder.StackFromFrame(mem.Frame(work, 0, 0))).status().code(),
              absl::StatusCode::kNotFound);
  }
}

TEST(CPythonLayoutTest, ValidateRejectsImpossibleOffsets) {
  CPythonLayout layout;
  EXPECT_TRUE(layout.Validate().ok());
  layout.code_name = 0;
  absl::Status status = layout.Validate();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(status.message(), "cannot be right")) << status;
}

}  // namespace
}  // namespace pyreplay

namespace pyreplay {
namespace {

TEST(FrameDecoderStateTest, ReadsAFrameForTheStepperEvenBeforeItStarts) {
  FakeMemory mem;
  uint64_t code = mem.Code("/app/main.py", "run", "Server.run", 10, kFourLines, 1);
  uint64_t caller = mem.Frame(code, 3, 0);
  uint64_t fresh = mem.Frame(code, -1, caller);
  uint64_t running = mem.Frame(code, 2, caller);
  mem.Put8(code + 184 + 2 * 2, 151);  // the opcode at prev_instr

  FrameDecoder decoder(TestLayout(), &mem);
  absl::StatusOr<FrameState> st = decoder.State(fresh);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->lasti, -1);  // Stack() would skip this frame; the stepper must see it
  EXPECT_EQ(st->previous, caller);
  EXPECT_EQ(st->first_traceable, 1);
  EXPECT_EQ(st->opcode, 0);
  st = decoder.State(running);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->code, code);
  EXPECT_EQ(st->lasti, 2);
  EXPECT_EQ(st->line, 12);
  EXPECT_EQ(st->opcode, 151);
  EXPECT_EQ(st->qualname, "Server.run");
  EXPECT_EQ(decoder.LineOf(code, 3), 13);
}

TEST(FrameDecoderStateTest, UnreadableFrameOrCodeIsDataLoss) {
  FakeMemory mem;
  FrameDecoder decoder(TestLayout(), &mem);
  EXPECT_TRUE(absl::IsDataLoss(decoder.State(0xdead000).status()));
  uint64_t bogus = mem.Frame(0xbad000, 0, 0);  // f_code points at nothing
  EXPECT_TRUE(absl::IsDataLoss(decoder.State(bogus).status()));
  EXPECT_EQ(decoder.LineOf(0xbad000, 0), std::nullopt);
}

}  // namespace
}  // namespace pyreplay
