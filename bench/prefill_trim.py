#!/usr/bin/env python3
"""flash_prefill.wgsl skipping, in a tile it sees only in part, the keys no row of the workgroup can see
(session 16). A workgroup's last tile (the causal diagonal of its last row, or the context's end) holds keys
past the workgroup's last visible key: at S=C=128 (64-key tiles, 8 positions per 128-thread workgroup) 29% of the
P.V loop's keys and 25% of the q.k loop's 16-key slots; at 512 (64-row tiles) 8%. Both variants are exact
(those keys were already kept out of every sum). Not yet timed on the H200 (session 16 had no device time):
bench/device_h200_s16_trim.sh is that call.

    bench/prefill_trim.py SRC_KERNELS OUT_DIR   ->  OUT_DIR/<variant>/*.wgsl

  trimpv   the masked P.V loop skips (a branch the same in every thread) each key outside the workgroup's
           visible span [first row's start, last row's end)
  trimall  trimpv, and the q.k loop leaves out the key slots (keys tx + TX * j) wholly past the last visible
           key: a second copy of that loop, taken only in such tiles, so whole tiles keep the unguarded one
"""
import sys

from kernel_variants import rep, source, write

SPAN = """  let first_tile = chunk_first_tile(visible_start(min(row0, rows_total - 1u) / g) / BC, wg.z);
"""
SPAN_NEW = SPAN + """  // The workgroup's visible span (uniform): keys outside it are invisible to every row.
  let span_lo = visible_start(min(row0, rows_total - 1u) / g);
"""

PV_HEAD = """        let key = key0 + k;
        let pp = p_get(k, ty, sc[jk], lane_group | x);"""
PV_HEAD_NEW = """        let key = key0 + k;
        if (key >= span_lo && key < n_keys) {
        let pp = p_get(k, ty, sc[jk], lane_group | x);"""
PV_TAIL = """key >= lo[3] && key < vis[3] && mask_visible(srow[3], key));
        }
       }
      }
    }
"""
PV_TAIL_NEW = """key >= lo[3] && key < vis[3] && mask_visible(srow[3], key));
        }
        }
       }
      }
    }
"""


def trimpv(s):
    s = rep(s, SPAN, SPAN_NEW, "trimpv span")
    s = rep(s, PV_HEAD, PV_HEAD_NEW, "trimpv head")
    return rep(s, PV_TAIL, PV_TAIL_NEW, "trimpv tail")


QK_START = "    if (TWO_CHAINS) {\n      var sc_odd"
QK_END = "    var tmax: vec4<f32> = vec4<f32>(LOWEST);\n"


def trimall(s):
    s = trimpv(s)
    a = s.index(QK_START)
    b = s.index(QK_END)
    block = s[a:b]
    guarded = block
    # every slot loop of the score phase: `for j < NJ { body }` -> `for j < NJ { if (j < nj_live) { body } }`
    loop = "for (var j: u32 = 0u; j < NJ; j = j + 1u) {\n"
    parts = guarded.split(loop)
    out = parts[0]
    for p in parts[1:]:
        # the body ends at the first line that closes this loop (indent of the `for` line)
        ind = out[out.rfind("\n") + 1:]
        close = "\n" + ind + "}\n"
        end = p.index(close)
        body = p[:end]
        out += loop + ind + "  if (j < nj_live) {\n" + body + "\n" + ind + "  }" + close + p[end + len(close):]
    guarded = out
    if guarded.count("if (j < nj_live)") != 5:
        sys.exit(f"trimall: {guarded.count('if (j < nj_live)')} guarded loops, expected 5")
    new = ("    // Key slots j (keys tx + TX * j) wholly past the workgroup's last visible key: left out, in a\n"
           "    // copy of the loop taken only in such tiles.\n"
           "    let nj_live = select(NJ, (n_keys - key0 + TX - 1u) / TX, n_keys < key0 + BC);\n"
           "    if (nj_live >= NJ) {\n" + block + "    } else {\n" + guarded + "    }\n")
    return s[:a] + new + s[b:]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src = source(sys.argv[1])
    write(sys.argv[1], sys.argv[2], {"trimpv": trimpv(src), "trimall": trimall(src)})


if __name__ == "__main__":
    main()
