#!/usr/bin/env python3
"""Load ablations of flash_prefill.wgsl (session 15), for timing only: each variant removes one class of
loads from an inner loop while keeping its FMAs, so the time it saves is what that class of loads costs
(is the kernel bound by the FMAs, or by delivering their operands: global / workgroup-memory loads and
shuffles?). Outputs are WRONG by design (never a check, only `bench` through WEBATTN_KERNEL_DIR).

    bench/prefill_loads.py SRC_KERNELS OUT_DIR   ->  OUT_DIR/<variant>/*.wgsl

Variants (each loop keeps its trip counts and FMAs; a removed load becomes a loop-invariant one the
compiler can hoist):
  noq       the q.k loop reads q at head-dim vec4 0 (1) for every d4: no q load per d4
  nok       the q.k loop reads the K tile at head-dim vec4 0 (1) for every d4: no K load per d4
  noqk      both (the q.k loop's FMAs with no loads)
  noshfl    the P.V loop takes each key's probabilities from the thread's own (no subgroupShuffle)
  nov       the P.V loop reads the V tile at key 0 for every key: no V load per key
  nopvload  both (the P.V loop's FMAs with no loads or shuffles)
"""
import re
import sys

from kernel_variants import source, write


def sub(text, pattern, repl, name, count):
    new, n = re.subn(pattern, repl, text)
    if n != count:
        sys.exit(f"{name}: {pattern!r} matched {n} times, expected {count}")
    return new


def noq(s):
    s = sub(s, r"q\[qbase\[(\d)\] \+ d4 \+ 1u\]", r"q[qbase[\1] + 1u]", "noq", 4)
    return sub(s, r"q\[qbase\[(\d)\] \+ d4\]", r"q[qbase[\1]]", "noq", 8)


def nok(s):
    s = sub(s, r"kv_tile\[\(tx \+ TX \* j\) \* KV_STRIDE \+ d4 \+ 1u\]", "kv_tile[(tx + TX * j) * KV_STRIDE + 1u]", "nok", 1)
    return sub(s, r"kv_tile\[\(tx \+ TX \* j\) \* KV_STRIDE \+ d4\]", "kv_tile[(tx + TX * j) * KV_STRIDE]", "nok", 2)


def noshfl(s):
    return sub(s, r"let pp = p_get\(k, ty, sc\[jk\], lane_group \| x\);", "let pp = sc[jk];", "noshfl", 2)


def nov(s):
    return sub(s, r"let v = kv_tile\[k \* KV_STRIDE \+ d4\];", "let v = kv_tile[d4];", "nov", 2)


def variants(src):
    return {"noq": noq(src), "nok": nok(src), "noqk": nok(noq(src)), "noshfl": noshfl(src), "nov": nov(src),
            "nopvload": nov(noshfl(src))}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    write(sys.argv[1], sys.argv[2], variants(source(sys.argv[1])))


if __name__ == "__main__":
    main()
