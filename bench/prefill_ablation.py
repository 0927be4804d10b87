#!/usr/bin/env python3
"""Stage ablations of flash_prefill.wgsl, for timing only (issue #12 item 3: "time one stage
left out or doubled"). Each variant is the kernel folder with one change to flash_prefill.wgsl;
its output is WRONG by design (never a check, only `bench` through WEBATTN_KERNEL_DIR).

    bench/prefill_ablation.py SRC_KERNELS OUT_DIR   ->  OUT_DIR/<variant>/*.wgsl

Variants:
  noscore      the q.k fma loops run no iterations (scores 0; K still loaded and staged)
  doublescore  the q.k loop (two-chain form, D > 64) runs over the head dim twice
  nopv         the P.V loops run no iterations (V still loaded and staged)
  doublepv     the whole-tile P.V loop runs over the tile's keys twice
(written for the kernel of session 10, P.V keys walked as (x, j); session 10's call 1 ran the
previous kernel's form, commit 9aa168c)
  noexp        the probabilities skip exp (p = score - max)
  noload       the K / V tile fetches load nothing (zeros staged)
  nobar        the end-of-tile barrier removed (races; timing only)
"""
import sys

from kernel_variants import source, write


def replace_once(text, old, new, name):
    if text.count(old) < 1:
        sys.exit(f"{name}: pattern not found: {old!r}")
    return text.replace(old, new, 1)


def variants(src):
    out = {}
    two = src.index("if (TWO_CHAINS) {")
    one = src.index("} else {", two)
    # noscore: both score loops run zero iterations.
    s = src[:two] + src[two:].replace("d4 < D4; d4 = d4 + 2u", "d4 < 0u; d4 = d4 + 2u", 1)
    s = s.replace("for (var d4: u32 = 0u; d4 < D4; d4 = d4 + 1u) {\n        let q0", "for (var d4: u32 = 0u; d4 < 0u; d4 = d4 + 1u) {\n        let q0", 1)
    out["noscore"] = s
    # doublescore: the two-chain loop (D > 64) walks the head dim twice.
    block = src[two:one]
    b2 = block.replace("d4 < D4; d4 = d4 + 2u", "d4 < 2u * D4; d4 = d4 + 2u", 1)
    b2 = b2.replace("if (d4 + 1u < D4) {", "if (true) {", 1)
    b2 = b2.replace("+ d4 + 1u]", "+ (d4 + 1u) % D4]").replace("+ d4]", "+ d4 % D4]")
    out["doublescore"] = src[:two] + b2 + src[one:]
    # nopv / doublepv: the P.V loops walk keys as (x, j) since session 10 (P_SHUFFLE)
    pv = "      for (var x: u32 = 0u; x < TX; x = x + 1u) {\n       for (var jk"
    if src.count(pv) != 2:
        sys.exit("nopv: the two P.V loops not found")
    out["nopv"] = src.replace(pv, pv.replace("x < TX", "x < 0u"))
    first_pv = src.index(pv)
    end_fast = src.index("} else {", first_pv)
    fast = src[first_pv:end_fast]
    f2 = fast.replace(pv, pv.replace("x < TX", "x < 2u * TX"), 1)
    f2 = f2.replace("let k = select(x * NJ + jk, x + TX * jk, P_SHUFFLE);",
                    "let k = select((x % TX) * NJ + jk, (x % TX) + TX * jk, P_SHUFFLE);", 1)
    f2 = f2.replace("lane_group | x)", "lane_group | (x % TX))", 1)
    if f2.count("x % TX") != 3:
        sys.exit("doublepv: pattern not found")
    out["doublepv"] = src[:first_pv] + f2 + src[end_fast:]
    out["noexp"] = replace_once(src, "pv4[i] = exp(sc[j][i] - m_new[i]);", "pv4[i] = sc[j][i] - m_new[i];", "noexp")
    out["noload"] = replace_once(src, "if (i < BC * D4 && key < p.context_len) {", "if (false) {", "noload")
    out["nobar"] = replace_once(src, "    workgroupBarrier();  // before the next tile overwrites kv_tile, p_tile, red\n", "",
                                "nobar")
    for name, text in out.items():
        if text == src:
            sys.exit(f"{name}: no change made")
    return out


def main():
    write(sys.argv[1], sys.argv[2], variants(source(sys.argv[1])))


if __name__ == "__main__":
    main()
