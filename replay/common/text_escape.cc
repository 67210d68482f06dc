#include "replay/common/text_escape.h"

#include <cstdint>
#include <cstdio>

namespace pyreplay {
namespace {

// DecodeUtf8 decodes one well-formed UTF-8 sequence at bytes[i] (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF). Returns its length, or 0 when the byte starts none.
size_t DecodeUtf8(absl::string_view bytes, size_t i, uint32_t* code_point) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(bytes[i + k]); };
  const size_t left = bytes.size() - i;
  const uint8_t lead = b(0);
  if (lead < 0x80) {
    *code_point = lead;
    return 1;
  }
  size_t length;
  uint32_t cp, min;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, cp = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, cp = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (left < length) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  *code_point = cp;
  return length;
}

bool IsUnsafeCodePoint(uint32_t cp, bool keep_newlines) {
  if (cp < 0x20) return !(keep_newlines && (cp == '\n' || cp == '\t'));
  if (cp == 0x7F) return true;
  if (cp >= 0x80 && cp <= 0x9F) return true;              // C1 controls (CSI is U+009B)
  if (cp >= 0x202A && cp <= 0x202E) return true;          // bidi embeddings and overrides
  if (cp >= 0x2066 && cp <= 0x2069) return true;          // bidi isolates
  return false;
}

}  // namespace

bool IsSafeText(absl::string_view bytes, bool keep_newlines) {
  for (size_t i = 0; i < bytes.size();) {
    uint32_t cp;
    const size_t length = DecodeUtf8(bytes, i, &cp);
    if (length == 0 || IsUnsafeCodePoint(cp, keep_newlines)) return false;
    i += length;
  }
  return true;
}

std::string EscapeText(absl::string_view bytes, bool keep_newlines) {
  if (IsSafeText(bytes, keep_newlines)) return std::string(bytes);  // the common case
  std::string out;
  out.reserve(bytes.size() + 16);
  char buffer[16];
  for (size_t i = 0; i < bytes.size();) {
    uint32_t cp;
    const size_t length = DecodeUtf8(bytes, i, &cp);
    if (length == 0) {
      snprintf(buffer, sizeof buffer, "\\x%02x", static_cast<uint8_t>(bytes[i]));
      out += buffer;
      i += 1;
      continue;
    }
    if (IsUnsafeCodePoint(cp, keep_newlines)) {
      if (cp < 0x80) {
        snprintf(buffer, sizeof buffer, "\\x%02x", cp);
      } else {
        snprintf(buffer, sizeof buffer, "\\u{%04x}", cp);
      }
      out += buffer;
    } else {
      out.append(bytes.data() + i, length);
    }
    i += length;
  }
  return out;
}

void EscapeJsonStrings(nlohmann::json* j) {
  if (j->is_string()) {
    std::string& s = j->get_ref<std::string&>();
    if (!IsSafeText(s)) s = EscapeText(s);
  } else if (j->is_array()) {
    for (nlohmann::json& item : *j) EscapeJsonStrings(&item);
  } else if (j->is_object()) {
    bool keys_safe = true;
    for (auto it = j->begin(); it != j->end(); ++it) keys_safe = keys_safe && IsSafeText(it.key());
    if (!keys_safe) {
      nlohmann::json renamed = nlohmann::json::object();
      for (auto it = j->begin(); it != j->end(); ++it) renamed[EscapeText(it.key())] = it.value();
      *j = std::move(renamed);
    }
    for (auto it = j->begin(); it != j->end(); ++it) EscapeJsonStrings(&it.value());
  }
}

std::string DumpJson(const nlohmann::json& j, int indent) {
  nlohmann::json copy = j;
  EscapeJsonStrings(&copy);
  return copy.dump(indent, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

}  // namespace pyreplay
