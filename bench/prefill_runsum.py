#!/usr/bin/env python3
"""A variant of flash_prefill.wgsl for A/B timing (session 11): the P.V loop accumulates straight
into the running output o, rescaled by alpha before the loop (FlashAttention-2's form), instead of
into a per-tile accumulator o_t added after it (the kernel's two-level sums). Frees 4 * DV vec4
registers in the P.V phase; its rounding grows with the number of keys instead of
sqrt(BC) + sqrt(tiles), so `check` must pass with it before it could land.

    bench/prefill_runsum.py SRC_KERNELS OUT_DIR   ->  OUT_DIR/runsum/*.wgsl
"""
import pathlib
import shutil
import sys


def runsum(src):
    init = ("    var o_t: array<vec4<f32>, 4u * DV> = array<vec4<f32>, 4u * DV>();\n"
            "    for (var j: u32 = 0u; j < 4u * DV; j = j + 1u) {\n"
            "      o_t[j] = vec4<f32>(0.0);\n"
            "    }\n")
    rescale = ("    for (var j: u32 = 0u; j < DV; j = j + 1u) {\n"
               "      for (var i: u32 = 0u; i < 4u; i = i + 1u) {\n"
               "        o[i * DV + j] = o[i * DV + j] * alpha[i];\n"
               "      }\n"
               "    }\n")
    combine = ("    for (var j: u32 = 0u; j < DV; j = j + 1u) {\n"
               "      for (var i: u32 = 0u; i < 4u; i = i + 1u) {\n"
               "        o[i * DV + j] = o[i * DV + j] * alpha[i] + o_t[i * DV + j];\n"
               "      }\n"
               "    }\n")
    for part in (init, combine):
        if src.count(part) != 1:
            sys.exit("runsum: pattern not found:\n" + part)
    s = src.replace(init, rescale).replace(combine, "")
    s = s.replace("o_t[", "o[")
    if "o_t" in s:
        sys.exit("runsum: o_t left")
    return s


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src_dir, out_dir = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    d = out_dir / "runsum"
    if d.exists():
        shutil.rmtree(d)
    shutil.copytree(src_dir, d)
    f = d / "flash_prefill.wgsl"
    f.write_text(runsum(f.read_text()))


if __name__ == "__main__":
    main()
