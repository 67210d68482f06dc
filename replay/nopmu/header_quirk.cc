#include "replay/nopmu/header_quirk.h"

#include <capnp/message.h>
#include <capnp/serialize-packed.h>
#include <fcntl.h>
#include <kj/exception.h>
#include <kj/io.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "replay/trace/rr_trace.capnp.h"

namespace pyreplay::nopmu {

std::string ClearBufferedSyscallForcedTick(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot open";
  std::stringstream contents;
  contents << in.rdbuf();
  std::string text = contents.str();
  size_t newline = text.find('\n');
  if (newline == std::string::npos) return "no version line";
  std::string version_line = text.substr(0, newline + 1);

  std::string error;
  kj::Maybe<kj::Exception> exception = kj::runCatchingExceptions([&]() {
    kj::ArrayPtr<const kj::byte> packed(reinterpret_cast<const kj::byte*>(text.data()) + newline + 1,
                                        text.size() - newline - 1);
    kj::ArrayInputStream input(packed);
    capnp::PackedMessageReader reader(input);
    capnp::MallocMessageBuilder builder;
    // Copying through our partial schema keeps fields we do not declare: Cap'n Proto copies the
    // whole data and pointer sections of the source struct.
    builder.setRoot(reader.getRoot<pyreplay::rr::Header>());
    builder.getRoot<pyreplay::rr::Header>().getQuirks().setBufferedSyscallForcedTick(false);

    int fd = open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) {
      error = "cannot rewrite";
      return;
    }
    kj::FdOutputStream output(fd);
    output.write(version_line.data(), version_line.size());
    capnp::writePackedMessage(output, builder);
    fsync(fd);
    ::close(fd);
  });
  KJ_IF_MAYBE(e, exception) { return std::string(e->getDescription().cStr()); }
  return error;
}

}  // namespace pyreplay::nopmu
