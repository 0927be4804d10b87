#!/usr/bin/env python3
"""Stage ablations of split-kv's one-dispatch decode (the subgroup form with ONE_PASS), for timing
only: where a call's time goes (issue #11 item 4). Each variant is the kernel folder with one change
to split_kv_decode_subgroup.wgsl / split_kv_subgroup_one_pass.wgsl; its output is WRONG by design
(never a check, only `bench` through WEBATTN_KERNEL_DIR).

    bench/decode_ablation.py SRC_KERNELS OUT_DIR   ->  OUT_DIR/<variant>/*.wgsl

A stage is left out by a condition that is never true at run time (p.input_pos == 0xffffffff), not by
deleting it: the code, its registers and every binding stay (the pipelines' layouts are derived from
the shader, so a binding no longer used would not match the host's bind group).
Variants:
  noload    the K / V rows are never loaded (zeros: the arithmetic, the partial states and the merge run)
  nomerge   workgroups store their partial states and arrive, but none merges (no output, no zeroing)
  nostate   no partial state stored, no arrival, no merge (the chunk's walk and the subgroups' merge only)
  empty     every workgroup returns at once (the dispatch with its grid and workgroup memory)
  nostart   the step's own key is not written into the cache first (no k_new / v_new loads, no storageBarrier)
  nozero    the merging workgroup does not store zeros back into the words it read (the counter still)
  noread    the merging workgroup reads no partial state (zeros merged; its output and zeroing run)
  noq       q is not loaded (a constant instead)
  nowgm     nostate, and the subgroups' merge at the chunk's end (workgroup memory, barriers) left out too
  nostart_nozero  both
  notail    the merging workgroup's storageBarrier and its (m, l) zeroing after the output left out (the o words
            still zeroed by their readers, the counter still reset): what a scratch zeroed off the merge's tail
            (e.g. by the next call) would save (session 20)
  ro        the cache bound read-only (as the two-pass split binds it) and never written: one_pass_start's body
            removed, k_new / v_new still read under the never-true condition (session 20: does the one-pass kernel's writable cache binding slow its loads?)
  rw_nocode as ro, but the cache still bound read_write (the binding's type, or the store's presence?)
  rw_end    the kernel as landed with the step's key written after the chunk's walk instead of before it (the
            key read back stale: wrong output; does a store ahead of the loads hold them back?)
"""
import pathlib
import shutil
import sys

NEVER = "p.input_pos == 0xffffffffu"


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
    merge_if = "if (workgroupUniformLoad(&last_sh) != 0u) {"
    never_merge = f"if (workgroupUniformLoad(&last_sh) != 0u && {NEVER}) {{"
    out = {
        "noload": (replace_once(body, "if (key < key_end && mask_visible(0u, key)) {",
                                f"if (key < key_end && mask_visible(0u, key) && {NEVER}) {{", "noload"), one),
        "nomerge": (body, replace_once(one, merge_if, never_merge, "nomerge")),
    }
    s = replace_once(one, merge_if, never_merge, "nostate")
    s = replace_once(s, "  if (t == 0u) {\n    last_sh = select(", f"  if (t == 0u && {NEVER}) {{\n    last_sh = select(", "nostate")
    s = replace_once(s, "fn put_o(i: u32, v: vec4<f32>) {\n", f"fn put_o(i: u32, v: vec4<f32>) {{\n  if (!({NEVER})) {{ return; }}\n", "nostate")
    s = replace_once(s, "fn put_ml(i: u32, v: vec2<f32>) {\n", f"fn put_ml(i: u32, v: vec2<f32>) {{\n  if (!({NEVER})) {{ return; }}\n", "nostate")
    out["nostate"] = (body, s)
    out["empty"] = (replace_once(body, "@builtin(local_invocation_index) t: u32) {\n",
                                 f"@builtin(local_invocation_index) t: u32) {{\n  if (!({NEVER})) {{ return; }}\n", "empty"), one)
    start_if = "if (key_begin <= p.input_pos && p.input_pos < key_end) {"
    out["nostart"] = (body, replace_once(one, start_if, start_if[:-3] + f" && {NEVER}) {{", "nostart"))
    zero = ("for (var x: u32 = t; x < p.n_chunks * g * 2u; x = x + WG) {",
            "for (var x: u32 = t; x < p.n_chunks * g * D4 * 4u; x = x + WG) {")
    z = one
    for old in zero:
        if old in z:  # the o words' loop (before session 14's call 4; since then their readers zero them)
            z = replace_once(z, old, old.replace("x < ", f"x < select(0u, 1u, {NEVER}) * "), "nozero")
    z = z.replace("\n      zero_o_words(", f"\n      if ({NEVER}) {{ zero_o_words(").replace(
        "x % D4, 0u);\n      finish_row", "x % D4, 0u); }\n      finish_row").replace(
        "t / items);\n      part_m_sh", "t / items); }\n      part_m_sh")
    out["nozero"] = (body, z)
    out["nostart_nozero"] = (body, replace_once(z, start_if, start_if[:-3] + f" && {NEVER}) {{", "nostart_nozero"))
    tail = ("  storageBarrier();  // every read of the (m, l) words is done before any is zeroed",
            "for (var x: u32 = t; x < p.n_chunks * g * 2u; x = x + WG) {")
    s = replace_once(one, tail[0], f"  if ({NEVER}) {{ storageBarrier(); }}  // notail:", "notail")
    out["notail"] = (body, replace_once(s, tail[1], tail[1].replace("x < ", f"x < select(0u, 1u, {NEVER}) * "), "notail"))
    ro = replace_once(one, "var<storage, read_write> k_cache", "var<storage, read> k_cache", "ro")
    ro = replace_once(ro, "var<storage, read_write> v_cache", "var<storage, read> v_cache", "ro")
    i = ro.index(start_if)
    j = ro.index("\n    storageBarrier();\n  }\n}\n", i)
    # k_new / v_new stay read (the layout is the shader's), into out under the never-true condition
    keep = (f"if ({NEVER}) {{\n    out[0] = out_pack(k_new_unpack(k_new[kvh * D4]) + v_new_unpack(v_new[kvh * D4]));")
    out["ro"] = (body, ro[:i] + keep + ro[j:].replace("\n    storageBarrier();", "", 1))
    out["rw_nocode"] = (body, out["ro"][1].replace("var<storage, read> k_cache", "var<storage, read_write> k_cache").replace(
        "var<storage, read> v_cache", "var<storage, read_write> v_cache"))
    start_call = "  one_pass_start(kvh, t, key_begin, key_end);  // ONE_PASS: the step's own key into the cache first\n"
    finish_call = "  one_pass_finish(kvh, t);"
    b = replace_once(body, start_call, "", "rw_end")
    out["rw_end"] = (replace_once(b, finish_call, start_call + finish_call, "rw_end"), one)
    out["noread"] = (body, replace_once(one, "for (var c0: u32 = 0u; c0 < n; c0 = c0 + MB) {",
                                        f"for (var c0: u32 = 0u; c0 < select(0u, n, {NEVER}); c0 = c0 + MB) {{", "noread"))
    qline = "      qr[r * DL + i] = q_unpack(q[h * D4 + kl + LK * i]) * select(p.scale, 1.0, SCALE_AFTER);\n"
    out["noq"] = (replace_once(body, qline, f"      if ({NEVER}) {{\n  " + qline +
                               "      } else {\n        qr[r * DL + i] = vec4<f32>(0.01);\n      }\n", "noq"), one)
    out["nowgm"] = (replace_once(body, "for (var r0: u32 = 0u; r0 < ROWS; r0 = r0 + RB) {",
                                 f"for (var r0: u32 = 0u; r0 < select(0u, ROWS, {NEVER}); r0 = r0 + RB) {{", "nowgm"),
                    out["nostate"][1])
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
