#!/usr/bin/env python3
"""Cheaper forms of flash_prefill.wgsl's masked P.V loop (the causal diagonal, window edges, the context's end,
an explicit mask), session 15. The loop added select(0, p * v, visible) per vec4: a multiply, a select and
an add where the whole-tile loop has one fma. Both variants are exact (an invisible key still never touches
the sums):

    bench/prefill_masked.py SRC_KERNELS OUT_DIR   ->  OUT_DIR/<variant>/*.wgsl

(written for b45f659's kernel; msel landed in 05eabc1)

  msel     select(o_t, o_t + p * v, visible): the sum and the product may fuse into an fma
  mbranch  msel, and where a thread's 4 rows see the same keys (one position: g a multiple of 4, no mask)
           a branch per key around the whole-tile loop's fma body
"""
import re
import sys

from kernel_variants import rep, source, write


def msel(s):
    pat = re.compile(r"o_t\[(j|DV \+ j|2u \* DV \+ j|3u \* DV \+ j)\] = o_t\[\1\] \+ select\(vec4<f32>\(0\.0\), (p\d) \* v,\s*"
                     r"(key >= lo\[\d\] && key < vis\[\d\] && mask_visible\(srow\[\d\], key\))\);")
    new, n = pat.subn(lambda m: f"o_t[{m.group(1)}] = select(o_t[{m.group(1)}], o_t[{m.group(1)}] + {m.group(2)} * v, {m.group(3)});", s)
    if n != 4:
        sys.exit(f"msel: {n} matches")
    return new


HEAD = """      for (var x: u32 = 0u; x < TX; x = x + 1u) {
       for (var jk: u32 = 0u; jk < NJ; jk = jk + 1u) {
        let k = select(x * NJ + jk, x + TX * jk, P_SHUFFLE);
        let key = key0 + k;
        let pp = p_get(k, ty, sc[jk], lane_group | x);
        let p0 = pp.x;
        let p1 = pp.y;
        let p2 = pp.z;
        let p3 = pp.w;
        for (var j: u32 = 0u; j < DV; j = j + 1u) {
          let d4 = min(tx + TX * j, D4 - 1u);
          let v = kv_tile[k * KV_STRIDE + d4];
          o_t[j] = select("""


def mbranch(s):
    s = msel(s)
    new_head = """      // The 4 rows of one position (g a multiple of 4) see the same keys: a branch per key around the
      // whole-tile loop's fma body (rows ascend, so equal ends mean equal ranges).
      let same_range = !MASK && lo[0] == lo[3] && vis[0] == vis[3];
      for (var x: u32 = 0u; x < TX; x = x + 1u) {
       for (var jk: u32 = 0u; jk < NJ; jk = jk + 1u) {
        let k = select(x * NJ + jk, x + TX * jk, P_SHUFFLE);
        let key = key0 + k;
        let pp = p_get(k, ty, sc[jk], lane_group | x);
        let p0 = pp.x;
        let p1 = pp.y;
        let p2 = pp.z;
        let p3 = pp.w;
        if (same_range) {
          if (key >= lo[0] && key < vis[0]) {
            for (var j: u32 = 0u; j < DV; j = j + 1u) {
              let v = kv_tile[k * KV_STRIDE + min(tx + TX * j, D4 - 1u)];
              o_t[j] = o_t[j] + p0 * v;
              o_t[DV + j] = o_t[DV + j] + p1 * v;
              o_t[2u * DV + j] = o_t[2u * DV + j] + p2 * v;
              o_t[3u * DV + j] = o_t[3u * DV + j] + p3 * v;
            }
          }
        } else {  // if / else, not continue: the lanes meet again before the next key's shuffle
        for (var j: u32 = 0u; j < DV; j = j + 1u) {
          let d4 = min(tx + TX * j, D4 - 1u);
          let v = kv_tile[k * KV_STRIDE + d4];
          o_t[j] = select("""
    s = rep(s, HEAD, new_head, "mbranch")
    tail = "key >= lo[3] && key < vis[3] && mask_visible(srow[3], key));\n        }\n       }\n      }\n    }\n"
    return rep(s, tail, tail.replace("        }\n       }\n", "        }\n        }\n       }\n", 1), "mbranch tail")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src = source(sys.argv[1])
    write(sys.argv[1], sys.argv[2], {"msel": msel(src), "mbranch": mbranch(src)})


if __name__ == "__main__":
    main()
