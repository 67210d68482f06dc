# embed_file.cmake: turns a text file into a C++ header holding it as a char array, so a page
# template (replay/timeline/timeline.html) stays one readable source file yet ships inside the
# binary. Run as: cmake -DIN=file -DOUT=header.h -DNAME=kSymbol -P embed_file.cmake
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," body "${hex}")
# 32 bytes a line keeps the header diffable and the compiler happy.
string(REGEX REPLACE "(('[^']*',){32})" "\\1\n" body "${body}")
get_filename_component(source_name "${IN}" NAME)
file(WRITE "${OUT}.tmp"
  "// Generated from ${source_name} by embed_file.cmake. Do not edit.\n"
  "#pragma once\n#include <string_view>\n"
  "namespace pyreplay::embedded {\n"
  "inline constexpr char ${NAME}Bytes[] = {\n${body}'\\0'};\n"
  "inline constexpr std::string_view ${NAME}(${NAME}Bytes, ${size});\n"
  "}  // namespace pyreplay::embedded\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
