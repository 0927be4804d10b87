# Writes OUT: a C++ file mapping each kernel's name to its WGSL text.
# Invoked at build time: cmake -DOUT=... -DFILES="a.wgsl;b.wgsl" -P embed_kernels.cmake
string(REPLACE "|" ";" FILES "${FILES}")
set(body "")
foreach(f ${FILES})
  get_filename_component(name "${f}" NAME_WE)
  file(READ "${f}" text)
  string(APPEND body "    {\"${name}\", R\"webattn_wgsl(${text})webattn_wgsl\"},\n")
endforeach()
file(WRITE "${OUT}.tmp" "// Generated from src/kernels/*.wgsl by cmake/embed_kernels.cmake. Do not edit.
#include <map>
#include <string>
#include <string_view>
namespace webattn::gpu {
const std::map<std::string, std::string_view>& embedded_kernels() {
  static const std::map<std::string, std::string_view> kernels = {
${body}  };
  return kernels;
}
}  // namespace webattn::gpu
")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT}.tmp" "${OUT}")
