#!/usr/bin/env python3
"""Register-pressure variants of flash_prefill.wgsl (session 15), for registers and timing: the 128-row
kernel sits at 255 registers with 11 more spilled to workgroup memory (H200 driver's statistics), so each
variant drops one register consumer to see what the freed room buys. Exact unless named otherwise
(`onechain` is the one-chain score sum, which fails the fp32 limit at D=128: timing only).

    bench/prefill_regs.py SRC_KERNELS OUT_DIR   ->  OUT_DIR/<variant>/*.wgsl

(written for c8d36dd's kernel and runs only on it: since b45f659 the K prefetch is the generated PREFETCH_K,
forced by WEBATTN_FLASH_PREFETCH_K, and the script stops at nopfk's pattern)

Variants:
  nopf      no K/V tile held in registers ahead of its store (each tile loaded just before it is stored)
  nopfk     only the K tile unprefetched (V still loaded before the score phase)
  nopfv     only the V tile unprefetched
  onechain  the scores in one fma chain (TWO_CHAINS false)
  runsum_nopf  FA2's running-output sums (bench/prefill_runsum.py) and no prefetch
  onechain_nopf, runsum_onechain_nopf: the combinations
"""
import sys

from kernel_variants import rep, source, write
from prefill_runsum import runsum


def nopfk(s):
    s = rep(s, "  var k_next: array<TileVec4, NL> = fetch_tile(t, kvh, first_tile * BC, false);\n", "", "nopfk")
    s = rep(s, "store_tile_scaled(t, k_next, qscale);", "store_tile_scaled(t, fetch_tile(t, kvh, key0, false), qscale);", "nopfk")
    return rep(s, "      k_next = fetch_tile(t, kvh, key0 + BC, false);  // in flight during the PV phase\n", "", "nopfk")


def nopfv(s):
    s = rep(s, "    let v_next = fetch_tile(t, kvh, key0, true);  // in flight during the score phase\n", "", "nopfv")
    return rep(s, "store_tile(t, v_next);", "store_tile(t, fetch_tile(t, kvh, key0, true));", "nopfv")


def onechain(s):
    return rep(s, "const TWO_CHAINS: bool = D4 > 16u;", "const TWO_CHAINS: bool = false;", "onechain")


def variants(src):
    nopf = nopfv(nopfk(src))
    return {"nopf": nopf, "nopfk": nopfk(src), "nopfv": nopfv(src), "onechain": onechain(src),
            "runsum_nopf": runsum(nopf), "onechain_nopf": onechain(nopf), "runsum_onechain_nopf": runsum(onechain(nopf))}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    write(sys.argv[1], sys.argv[2], variants(source(sys.argv[1])))


if __name__ == "__main__":
    main()
