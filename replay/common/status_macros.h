// status_macros.h: early-return helpers for absl::Status, until Abseil ships its own.
//
//   absl::StatusOr<Index> Load(...) {
//     ASSIGN_OR_RETURN(TraceHeader header, ReadHeader(dir));
//     RETURN_IF_ERROR(CheckVersion(header));
//     ...
//   }
#ifndef PYREPLAY_REPLAY_COMMON_STATUS_MACROS_H_
#define PYREPLAY_REPLAY_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define PYREPLAY_CONCAT_INNER(a, b) a##b
#define PYREPLAY_CONCAT(a, b) PYREPLAY_CONCAT_INNER(a, b)

// RETURN_IF_ERROR returns the status of `expr` from the enclosing function when it is not OK.
#define RETURN_IF_ERROR(expr)                                  \
  do {                                                         \
    if (absl::Status pyreplay_status = (expr); !pyreplay_status.ok()) \
      return pyreplay_status;                                  \
  } while (0)

// ASSIGN_OR_RETURN declares/assigns `lhs` from the StatusOr `expr`, or returns its error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(PYREPLAY_CONCAT(pyreplay_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return std::move(tmp).status(); \
  lhs = std::move(tmp).value()

#endif  // PYREPLAY_REPLAY_COMMON_STATUS_MACROS_H_
