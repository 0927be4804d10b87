#!/usr/bin/env python3
"""Why the FA2 running-output form of flash_prefill.wgsl (bench/prefill_runsum.py) gets 528 bytes of local
memory with 128-row tiles on the H200 (session 15): variants of it, for register / local-memory counts and
timing. `rs_flat` is exact; `rs_norescale` and `rs_nomask` are WRONG by design (diagnostics: which part
of the kernel makes the driver demote an array to local memory).

    bench/prefill_runsum2.py SRC_KERNELS OUT_DIR   ->  OUT_DIR/<variant>/*.wgsl

  rs            bench/prefill_runsum.py's form
  rs_flat       the rescale before the P.V loop as one loop over the 4 * DV words (alpha picked by select)
  rs_norescale  no rescale at all
  rs_nomask     the masked P.V loop (diagonal / edge tiles) runs no iterations
"""
import sys

from kernel_variants import rep, source, write
from prefill_runsum import runsum

RESCALE = ("    for (var j: u32 = 0u; j < DV; j = j + 1u) {\n"
           "      for (var i: u32 = 0u; i < 4u; i = i + 1u) {\n"
           "        o[i * DV + j] = o[i * DV + j] * alpha[i];\n"
           "      }\n"
           "    }\n")
FLAT = ("    for (var j: u32 = 0u; j < 4u * DV; j = j + 1u) {\n"
        "      let r = j / DV;\n"
        "      o[j] = o[j] * select(select(alpha.x, alpha.y, r == 1u), select(alpha.z, alpha.w, r == 3u), r >= 2u);\n"
        "    }\n")
MASKED = "      for (var x: u32 = 0u; x < TX; x = x + 1u) {\n       for (var jk: u32 = 0u; jk < NJ; jk = jk + 1u) {\n        let k = select(x * NJ + jk, x + TX * jk, P_SHUFFLE);\n        let key = key0 + k;"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    rs = runsum(source(sys.argv[1]))
    write(sys.argv[1], sys.argv[2],
          {"rs": rs, "rs_flat": rep(rs, RESCALE, FLAT, "rs_flat"), "rs_norescale": rep(rs, RESCALE, "", "rs_norescale"),
           "rs_nomask": rep(rs, MASKED, MASKED.replace("x < TX", "x < 0u"), "rs_nomask")})


if __name__ == "__main__":
    main()
