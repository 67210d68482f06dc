// text_escape.h: any bytes a trace holds, as text that is safe to print and to put in JSON.
//
// A trace is a file people send each other: its mark notes, recorded command, paths, thread and
// function names are data written by someone else. Printed raw, an ESC sequence in a note sets
// the terminal's title or clears the screen; put raw into nlohmann::json, one invalid UTF-8 byte
// makes dump() throw type_error.316 and abort the command. EscapeText turns every byte sequence
// into printable, valid UTF-8:
//   - valid, printable UTF-8 is kept as it is (so ordinary names and paths print unchanged);
//   - an invalid UTF-8 byte becomes `\xNN`;
//   - C0 controls (including newline and tab, unless kept), DEL become `\xNN`;
//   - C1 controls (U+0080..U+009F) and the bidirectional overrides (U+202A..U+202E,
//     U+2066..U+2069, which reorder what the eye sees) become `\u{NNNN}`.
//
//   printf("%s\n", EscapeText(mark.note).c_str());
//   j["note"] = EscapeText(mark.note);
//   printf("%s\n", DumpJson(j, 2).c_str());  // escapes every string in j, then dumps
#ifndef PYREPLAY_REPLAY_COMMON_TEXT_ESCAPE_H_
#define PYREPLAY_REPLAY_COMMON_TEXT_ESCAPE_H_

#include <string>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace pyreplay {

// EscapeText is `bytes` as safe text (see above). `keep_newlines` keeps '\n' and '\t' as they
// are, for a message that is meant to span lines; a table cell or a JSON field never does.
std::string EscapeText(absl::string_view bytes, bool keep_newlines = false);

// IsSafeText is true when EscapeText would return `bytes` unchanged.
bool IsSafeText(absl::string_view bytes, bool keep_newlines = false);

// EscapeJsonStrings escapes every string (values and object keys) of `j` in place.
void EscapeJsonStrings(nlohmann::json* j);

// DumpJson is every JSON output of the CLI: EscapeJsonStrings on a copy, then dump(indent). The
// escaping is what keeps a hostile byte visible as `\xNN`; the dump's error handler (replace) is a
// second guard that can never be reached by a string EscapeJsonStrings has seen, so dump() cannot
// throw whatever a caller put in.
std::string DumpJson(const nlohmann::json& j, int indent = 2);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_COMMON_TEXT_ESCAPE_H_
