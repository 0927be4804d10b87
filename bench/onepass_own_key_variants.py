#!/usr/bin/env python3
"""Variants of how split-kv's one-dispatch decode takes the step's own key (session 14), for A/B timing on a
device through WEBATTN_KERNEL_DIR (correct output, unlike bench/decode_ablation.py's):

    bench/onepass_own_key_variants.py SRC_KERNELS OUT_DIR   ->  OUT_DIR/<variant>/*.wgsl

  readback   the key written into the cache, a storageBarrier, then read back with the chunk (before session 14)
  inload     load_block takes the own key's rows from k_new / v_new in place of the cache's (per key)
The kernels as they are take them by patching the loaded block after load_block (per block).
"""
import pathlib
import shutil
import sys


def replace_once(text, old, new, name):
    if text.count(old) != 1:
        sys.exit(f"{name}: pattern found {text.count(old)} times, not once: {old!r}")
    return text.replace(old, new, 1)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, dst = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    body = (src / "split_kv_decode_subgroup.wgsl").read_text()
    one = (src / "split_kv_subgroup_one_pass.wgsl").read_text()
    patch = "if (ONE_PASS && p.input_pos >= blk0 && p.input_pos < blk0 + KI * KG) {"
    nopatch = replace_once(body, patch, patch.replace("ONE_PASS &&", "false &&"), "patch")
    write_end = "      v_cache[dst] = kv_pack(v_new_unpack(v_new[kvh * D4 + d]));\n    }\n"
    out = {
        "readback": (nopatch, replace_once(one, write_end, write_end + "    storageBarrier();\n", "readback")),
        "inload": (replace_once(nopatch, """        b.k[j * DL + i] = k_vec(idx);
        b.v[j * DL + i] = v_vec(idx);""", """        if (ONE_PASS && key == p.input_pos) {
          let own = own_kv(kvh, kl + LK * i);
          b.k[j * DL + i] = own.k;
          b.v[j * DL + i] = own.v;
        } else {
          b.k[j * DL + i] = k_vec(idx);
          b.v[j * DL + i] = v_vec(idx);
        }""", "inload"), one),
    }
    for name, (b, o) in out.items():
        d = dst / name
        if d.exists():
            shutil.rmtree(d)
        shutil.copytree(src, d)
        (d / "split_kv_decode_subgroup.wgsl").write_text(b)
        (d / "split_kv_subgroup_one_pass.wgsl").write_text(o)
        print(d)


if __name__ == "__main__":
    main()
