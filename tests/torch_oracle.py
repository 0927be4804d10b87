#!/usr/bin/python3
"""Checks webattn's float64 reference against PyTorch (an independent implementation).

Usage: torch_oracle.py PATH/TO/webattn_reference
For many random problems (GQA, S>1 with input_pos>0, odd sizes, causal and not) it
writes the inputs, runs the reference, and compares with
torch.nn.functional.scaled_dot_product_attention in float64 (explicit boolean mask).
"""
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch


def run_case(binary, rng, S, Hq, Hkv, D, cap, pos, causal, scale):
    q = rng.standard_normal((S, Hq, D)).astype(np.float32)
    kn = rng.standard_normal((S, Hkv, D)).astype(np.float32)
    vn = rng.standard_normal((S, Hkv, D)).astype(np.float32)
    kc = rng.standard_normal((cap, Hkv, D)).astype(np.float32)
    vc = rng.standard_normal((cap, Hkv, D)).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        fin, fout = os.path.join(tmp, "in"), os.path.join(tmp, "out")
        with open(fin, "wb") as f:
            f.write(struct.pack("<7I", S, Hq, Hkv, D, cap, pos, int(causal)))
            f.write(struct.pack("<d", scale))
            for a in (q, kn, vn, kc, vc):
                f.write(a.tobytes())
        subprocess.run([binary, fin, fout], check=True)
        raw = np.fromfile(fout, dtype=np.float64)
    n_out = S * Hq * D
    got = raw[:n_out].reshape(S, Hq, D)
    got_k = raw[n_out:n_out + kc.size].reshape(kc.shape)

    # torch: update the cache, then SDPA over context = pos + S with a boolean mask.
    kc_t = torch.from_numpy(kc.astype(np.float64))
    vc_t = torch.from_numpy(vc.astype(np.float64))
    kc_t[pos:pos + S] = torch.from_numpy(kn.astype(np.float64))
    vc_t[pos:pos + S] = torch.from_numpy(vn.astype(np.float64))
    ctx = pos + S
    g = Hq // Hkv
    k = kc_t[:ctx].repeat_interleave(g, dim=1).permute(1, 0, 2)  # [Hq, ctx, D]
    v = vc_t[:ctx].repeat_interleave(g, dim=1).permute(1, 0, 2)
    qt = torch.from_numpy(q.astype(np.float64)).permute(1, 0, 2)  # [Hq, S, D]
    rows = torch.arange(S).unsqueeze(1) + pos
    cols = torch.arange(ctx).unsqueeze(0)
    mask = cols <= rows if causal else torch.ones(S, ctx, dtype=torch.bool)
    eff_scale = scale if scale != 0 else 1.0 / np.sqrt(D)
    if hasattr(torch.nn.functional, "scaled_dot_product_attention"):  # torch >= 2
        # its `scale` argument is newer still: fold the scale into q instead.
        qs = qt * (eff_scale * np.sqrt(D))
        want = torch.nn.functional.scaled_dot_product_attention(qs, k, v, attn_mask=mask)
    else:  # Debian's torch 1.13: the same math from torch's own matmul and softmax
        scores = torch.matmul(qt, k.transpose(1, 2)) * eff_scale
        scores = scores.masked_fill(~mask, float("-inf"))
        want = torch.matmul(torch.softmax(scores, dim=-1), v)
    want = want.permute(1, 0, 2).numpy()
    err = np.max(np.abs(got - want))
    cache_ok = np.array_equal(got_k, kc_t.numpy())
    return err, cache_ok


def main():
    binary = sys.argv[1]
    rng = np.random.default_rng(20261125)
    cases = [
        (1, 1, 1, 4, 1, 0, True, 0.0),
        (1, 32, 8, 64, 300, 257, True, 0.0),      # decode, GQA g=4
        (7, 8, 8, 16, 40, 13, True, 0.0),         # chunked prefill, g=1
        (5, 6, 2, 12, 9, 0, True, 0.0),           # prefill from 0, g=3
        (3, 4, 1, 80, 33, 30, True, 0.0),         # MQA, D=80, fills the cache
        (6, 4, 2, 8, 20, 5, False, 0.0),          # non-causal
        (4, 2, 2, 32, 16, 3, True, 0.37),         # explicit scale
    ]
    for _ in range(25):
        Hkv = int(rng.integers(1, 5))
        Hq = Hkv * int(rng.integers(1, 5))
        S = int(rng.integers(1, 9))
        pos = int(rng.integers(0, 40))
        cap = pos + S + int(rng.integers(0, 5))
        D = int(rng.choice([4, 8, 20, 64, 128]))
        cases.append((S, Hq, Hkv, D, cap, pos, bool(rng.integers(0, 2)), 0.0))
    worst = 0.0
    failed = 0
    for case in cases:
        err, cache_ok = run_case(binary, rng, *case)
        worst = max(worst, err)
        ok = err < 1e-12 and cache_ok
        failed += not ok
        if not ok:
            print(f"MISMATCH {case}: max abs {err:.3e}, cache update ok: {cache_ok}")
    print(f"reference vs torch {torch.__version__}: {len(cases)} cases, worst max abs diff {worst:.2e}")
    print(f"{len(cases) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
