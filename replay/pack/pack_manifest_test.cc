#include "replay/pack/pack_manifest.h"

#include "gtest/gtest.h"
#include "replay/common/sha256.h"

namespace pyreplay {
namespace {

PackManifest Sample() {
  PackManifest m;
  m.created_by = "pyreplay test";
  m.trace_name = "sockets-1";
  m.files.push_back({.path = "events", .size = 3, .sha256 = Sha256Hex("abc")});
  m.files.push_back({.path = "pyreplay/marks", .size = 0, .sha256 = Sha256Hex(""),
                     .kind = PackFileKind::kSidecar});
  m.files.push_back({.path = "pyreplay/debug/.build-id/c5/61f3aa.debug", .size = 1,
                     .sha256 = Sha256Hex("x"), .kind = PackFileKind::kDebug, .executable = false,
                     .build_id = "c561f3aa", .debug_for = "mmap_pack_6_python3.11"});
  return m;
}

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(IsSha256Hex(Sha256Hex("abc")));
  EXPECT_FALSE(IsSha256Hex("ABC"));
}

TEST(PackManifestTest, RoundTripsAndIsStable) {
  std::string json = SerializeManifest(Sample());
  EXPECT_EQ(json, SerializeManifest(Sample()));
  absl::StatusOr<PackManifest> back = ParseManifest(json, "p.pyrtrace");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->files.size(), 3u);
  EXPECT_EQ(back->files[2].debug_for, "mmap_pack_6_python3.11");
  EXPECT_EQ(back->files[2].kind, PackFileKind::kDebug);
  EXPECT_EQ(back->TotalBytes(), 4u);
  EXPECT_EQ(SerializeManifest(*back), json);
}

TEST(PackManifestTest, CarriesTheRecordingRrAndTraceFormat) {
  PackManifest m = Sample();
  m.rr_version = "5.9.0";
  m.rr_trace_format = 85;
  absl::StatusOr<PackManifest> back = ParseManifest(SerializeManifest(m), "p.pyrtrace");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->rr_version, "5.9.0");
  EXPECT_EQ(back->rr_trace_format, 85);
  // A pack made before the manifest had them reads as "unknown".
  std::string old = R"({"pyreplay_pack": 1, "created_by": "pyreplay 0.1.0", "files": []})";
  absl::StatusOr<PackManifest> older = ParseManifest(old, "old.pyrtrace");
  ASSERT_TRUE(older.ok()) << older.status();
  EXPECT_EQ(older->rr_version, "");
  EXPECT_EQ(older->rr_trace_format, 0);
}

TEST(PackManifestTest, NewerFormatIsFailedPreconditionWithAdvice) {
  PackManifest m = Sample();
  m.format = kPackFormatVersion + 1;
  absl::StatusOr<PackManifest> back = ParseManifest(SerializeManifest(m), "p.pyrtrace");
  EXPECT_TRUE(absl::IsFailedPrecondition(back.status()));
  EXPECT_NE(back.status().message().find("newer pyreplay"), std::string::npos);
  EXPECT_NE(back.status().message().find("Upgrade"), std::string::npos);
}

TEST(PackManifestTest, CorruptManifestsAreDataLoss) {
  std::string json = SerializeManifest(Sample());
  EXPECT_TRUE(absl::IsDataLoss(ParseManifest(json.substr(0, json.size() / 2), "p").status()));
  EXPECT_TRUE(absl::IsDataLoss(ParseManifest("[]", "p").status()));
  PackManifest twice = Sample();
  twice.files.push_back(twice.files[0]);
  EXPECT_TRUE(absl::IsDataLoss(ParseManifest(SerializeManifest(twice), "p").status()));
  PackManifest file_and_dir = Sample();
  file_and_dir.files.push_back({.path = "events/x", .size = 0, .sha256 = Sha256Hex("")});
  EXPECT_TRUE(absl::IsDataLoss(ParseManifest(SerializeManifest(file_and_dir), "p").status()));
  PackManifest bad_hash = Sample();
  bad_hash.files[0].sha256 = "zz";
  EXPECT_TRUE(absl::IsDataLoss(ParseManifest(SerializeManifest(bad_hash), "p").status()));
}

TEST(PackManifestTest, UnsafePaths) {
  for (const char* bad : {"", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a/.",
                          "pyreplay-pack.json", "mmap_pack_6_python3.11-gdb.py", "x-gdb.scm",
                          "pyreplay/debug/evil"}) {
    EXPECT_FALSE(CheckPackPath(bad, PackFileKind::kTrace).ok()) << bad;
  }
  EXPECT_FALSE(CheckPackPath("pyreplay/debug/.build-id/c5/x.debug", PackFileKind::kDebug).ok());
  EXPECT_FALSE(CheckPackPath("pyreplay/debug/c5/61.debug", PackFileKind::kDebug).ok());
  EXPECT_FALSE(CheckPackPath("events", PackFileKind::kDebug).ok());
  EXPECT_TRUE(CheckPackPath("pyreplay/debug/.build-id/c5/61f3.debug", PackFileKind::kDebug).ok());
  EXPECT_TRUE(CheckPackPath("mmap_pack_6_python3.11", PackFileKind::kTrace).ok());
  EXPECT_TRUE(CheckPackPath("pyreplay/sources/files/a b/c.py", PackFileKind::kSidecar).ok());
}

}  // namespace
}  // namespace pyreplay
