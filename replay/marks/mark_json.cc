#include "replay/marks/mark_json.h"

#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace pyreplay {

nlohmann::json MarkToJson(const Mark& mark) {
  nlohmann::json registers = nlohmann::json::object();
  for (const auto& [name, value] : mark.position.registers) registers[name] = value;
  return {
      {"id", mark.id},
      {"name", mark.name},
      {"note", mark.note},
      {"author", mark.author},
      {"created", absl::FormatTime(absl::RFC3339_sec, absl::FromUnixNanos(mark.created_unix_nanos),
                                   absl::UTCTimeZone())},
      {"created_unix_nanos", mark.created_unix_nanos},
      {"python_location", mark.python_location},
      {"position",
       {{"event", mark.position.event},
        {"ticks", mark.position.ticks},
        {"tid", mark.position.tid},
        {"pc", absl::StrFormat("0x%x", mark.position.pc)},
        {"restart_event", mark.position.restart_event},
        {"hit_count", mark.position.hit_count},
        {"registers", registers}}},
  };
}

nlohmann::json MarksToJson(const std::vector<Mark>& marks) {
  nlohmann::json out = nlohmann::json::array();
  for (const Mark& mark : marks) out.push_back(MarkToJson(mark));
  return out;
}

}  // namespace pyreplay
