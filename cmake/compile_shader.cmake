# Compiles one compute shader to SPIR-V, validates it, and embeds it as a C
# array. Run as: cmake -DGLSLANG=... -DSPIRV_VAL=... -DINCLUDE=dir
#   -DGEN_INCLUDE=dir (generated includes) -DNAME=n
#   -DSRC=file.comp -DDEFINES=NAME=VALUE+NAME=VALUE -DOUT=file.c -P compile_shader.cmake
# It also writes OUT.d, a depfile naming OUT and every included file, so
# editing a shader or an include it uses rebuilds just that shader.
set(spv "${OUT}.spv")
string(REPLACE "+" ";" defines "${DEFINES}")
list(TRANSFORM defines PREPEND "-D")
execute_process(
  COMMAND "${GLSLANG}" -V --target-env vulkan1.1 "-I${INCLUDE}" "-I${GEN_INCLUDE}" ${defines}
          --depfile "${OUT}.d.tmp"
          -o "${spv}" "${SRC}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE log ERROR_VARIABLE log)
if(NOT rc EQUAL 0)
  file(REMOVE "${spv}")
  message(FATAL_ERROR "glslangValidator failed on ${SRC}:\n${log}")
endif()
execute_process(COMMAND "${SPIRV_VAL}" --target-env vulkan1.1 "${spv}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE log ERROR_VARIABLE log)
if(NOT rc EQUAL 0)
  file(REMOVE "${spv}")
  message(FATAL_ERROR "spirv-val rejected ${SRC}:\n${log}")
endif()

# glslang names the .spv as the depfile's target; the build wants OUT.
file(READ "${OUT}.d.tmp" dep)
string(REGEX REPLACE "^[^:]*:" "${OUT}:" dep "${dep}")
file(WRITE "${OUT}.d" "${dep}")
file(REMOVE "${OUT}.d.tmp")

# Little-endian words: SPIR-V is a stream of 32-bit words, and a uint32_t
# array is what vkCreateShaderModule wants, correctly aligned.
file(READ "${spv}" hex HEX)
string(LENGTH "${hex}" len)
math(EXPR words "${len} / 8")
string(REGEX REPLACE "(..)(..)(..)(..)" "0x\\4\\3\\2\\1u," body "${hex}")
string(REGEX REPLACE "((0x[0-9a-f]+u,){8})" "\\1\n    " body "${body}")
file(WRITE "${OUT}"
  "/* Generated from ${NAME}.comp by cmake/compile_shader.cmake; do not edit. */\n"
  "#include <stddef.h>\n#include <stdint.h>\n"
  "const uint32_t alvk_spv_${NAME}[${words}] = {\n    ${body}\n};\n"
  "const size_t alvk_spv_${NAME}_size = sizeof alvk_spv_${NAME};\n")
