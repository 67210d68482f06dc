// human_size.h: a byte count as people read it ("512 B", "3.4 KiB", "27.2 MiB", "1.50 GiB"),
// the one spelling every pyreplay message and table uses.
#ifndef PYREPLAY_REPLAY_COMMON_HUMAN_SIZE_H_
#define PYREPLAY_REPLAY_COMMON_HUMAN_SIZE_H_

#include <cstdint>
#include <string>

namespace pyreplay {

std::string HumanSize(uint64_t bytes);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_COMMON_HUMAN_SIZE_H_
