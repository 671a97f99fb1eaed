// How a shader reads its large inputs. Compiled twice (see CMakeLists.txt):
// ALVK_TEXEL=0 reads storage buffers, ALVK_TEXEL=1 uniform texel buffers,
// which lavapipe (Mesa 22) reads ~15x faster; the host measures which path
// is faster on the device at hand and binds views of the matching format.
//
//   ALVK_IN4(b, name)   a float input read mostly as vec4 (RGBA32F view)
//   ALVK_IN1(b, name)   a float input read as scalars (R32F view)
//   ALVK_IN1U(b, name)  a uint input read as scalars (R32UI view)
//   LOAD4(name, q)      floats 4q..4q+3 of an IN4 input
//   LOAD4_1(name, i)    float i of an IN4 input
//   LOAD1(name, i)      float i of an IN1 input
//   LOAD1U(name, i)     uint i of an IN1U input
#if ALVK_TEXEL
#define ALVK_IN4(b, name) layout(binding = b) uniform samplerBuffer name
#define ALVK_IN1(b, name) layout(binding = b) uniform samplerBuffer name
#define LOAD4(name, q) texelFetch(name, int(q))
#define LOAD4_1(name, i) texelFetch(name, int(i) >> 2)[int(i) & 3]
#define LOAD1(name, i) texelFetch(name, int(i)).x
#define ALVK_IN1U(b, name) layout(binding = b) uniform usamplerBuffer name
#define LOAD1U(name, i) texelFetch(name, int(i)).x
#else
#define ALVK_IN4(b, name) layout(std430, binding = b) readonly buffer name##_buf { vec4 name[]; }
#define ALVK_IN1(b, name) layout(std430, binding = b) readonly buffer name##_buf { float name[]; }
#define LOAD4(name, q) name[q]
#define LOAD4_1(name, i) name[(i) >> 2][(i) & 3]
#define LOAD1(name, i) name[i]
#define ALVK_IN1U(b, name) layout(std430, binding = b) readonly buffer name##_buf { uint name[]; }
#define LOAD1U(name, i) name[i]
#endif
