// interrupt_guard.h: Ctrl-C (SIGINT) and SIGTERM as a flag that long work polls.
//
// While an InterruptGuard lives, those signals no longer kill the process: they set a flag, so a
// hunt or a deep index pass can stop its children, keep or discard what it made, and say so.
//
//   InterruptGuard guard;
//   while (!guard.interrupted()) { ... }
//   options.cancel = guard.flag();   // for code that takes a std::atomic<bool>*
#ifndef PYREPLAY_REPLAY_COMMON_INTERRUPT_GUARD_H_
#define PYREPLAY_REPLAY_COMMON_INTERRUPT_GUARD_H_

#include <signal.h>

#include <atomic>

namespace pyreplay {

class InterruptGuard {
 public:
  // Installs the handlers and clears the flag. Guards nest (one thread): an inner guard shares
  // the outer one's flag and handlers.
  InterruptGuard();
  // Restores the handlers that were there before.
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  bool interrupted() const { return flag()->load(); }
  const std::atomic<bool>* flag() const;

 private:
  struct sigaction old_int_ = {};
  struct sigaction old_term_ = {};
};

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_COMMON_INTERRUPT_GUARD_H_
