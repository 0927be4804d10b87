#!/usr/bin/env python3
"""Native reference speed: PyTorch CUDA scaled_dot_product_attention on the shapes
`webattn bench` uses. For every point it tries each SDPA backend (flash, efficient,
cuDNN, math) with GQA both ways (enable_gqa=True on Hkv heads, and K/V expanded to Hq
heads), times BATCH calls back to back between two CUDA events (as webattn's per-call
figures are taken: steady state, no idle GPU between calls), and reports the median per
call of many such batches. The best backend per point is printed last; every
combination (or why it could not run) goes to --json.

Usage: torch_sdpa.py --heads 32 --kv-heads 8 --head-dim 128 --prefill 128,512,2048 \
                     --decode 512,4096,16384 [--chunked 3584:512,14336:2048] [--json FILE]
"""
import argparse
import json
import statistics

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

BACKENDS = {"flash": SDPBackend.FLASH_ATTENTION, "efficient": SDPBackend.EFFICIENT_ATTENTION,
            "cudnn": SDPBackend.CUDNN_ATTENTION, "math": SDPBackend.MATH}


def per_call_ms(fn, batch=10, repeats=30, warmup=3):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        for _ in range(batch):
            fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b) / batch)
    return statistics.median(times)


def causal_mask(S, C, device):
    # Row s (absolute position C - S + s) sees keys 0 .. C - S + s: bottom-right aligned.
    rows = torch.arange(S, device=device)[:, None] + (C - S)
    return torch.arange(C, device=device)[None, :] <= rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--heads", type=int, default=32)
    ap.add_argument("--kv-heads", type=int, default=8)
    ap.add_argument("--head-dim", type=int, default=128)
    ap.add_argument("--prefill", default="128,512,2048")
    ap.add_argument("--decode", default="512,4096,16384")
    ap.add_argument("--chunked", default="", help="input_pos:S pairs (causal chunk at the end of the context)")
    ap.add_argument("--json")
    a = ap.parse_args()
    dev = torch.device("cuda")
    torch.backends.cuda.matmul.allow_tf32 = False  # fp32 means fp32
    torch.backends.cudnn.allow_tf32 = False
    g = a.heads // a.kv_heads
    points = [("prefill", int(c), int(c)) for c in a.prefill.split(",") if c and int(c)] + \
             [("decode", int(c), 1) for c in a.decode.split(",") if c and int(c)] + \
             [("chunked", int(p.split(":")[0]) + int(p.split(":")[1]), int(p.split(":")[1]))
              for p in a.chunked.split(",") if p]
    print(f"torch {torch.__version__} on {torch.cuda.get_device_name()}")
    rows = []
    best = []
    for mode, C, S in points:
        for dtype in (torch.float32, torch.float16):
            q = torch.randn(1, a.heads, S, a.head_dim, device=dev, dtype=dtype)
            k = torch.randn(1, a.kv_heads, C, a.head_dim, device=dev, dtype=dtype)
            v = torch.randn(1, a.kv_heads, C, a.head_dim, device=dev, dtype=dtype)
            ke, ve = k.repeat_interleave(g, dim=1), v.repeat_interleave(g, dim=1)
            # S == C: is_causal; a chunk: an explicit bottom-right mask; decode sees everything.
            mask = causal_mask(S, C, dev) if mode == "chunked" else None
            causal = mode == "prefill"
            name = str(dtype).replace("torch.", "")
            results = {}
            for bname, backend in BACKENDS.items():
                for gqa in ("enable_gqa", "expanded"):
                    kk, vv = (k, v) if gqa == "enable_gqa" else (ke, ve)
                    kw = {"enable_gqa": True} if gqa == "enable_gqa" else {}
                    fn = lambda: F.scaled_dot_product_attention(q, kk, vv, attn_mask=mask, is_causal=causal, **kw)
                    try:
                        with sdpa_kernel([backend]):
                            ms = per_call_ms(fn)
                        results[f"{bname}/{gqa}"] = ms
                    except Exception as e:  # a backend that does not take this shape/dtype
                        results[f"{bname}/{gqa}"] = str(e).splitlines()[0][:120]
            timed = {k: v for k, v in results.items() if isinstance(v, float)}
            top = min(timed, key=timed.get) if timed else None
            rows.append({"mode": mode, "context": C, "S": S, "dtype": name, "results": results,
                         "best": top, "best_ms": timed.get(top)})
            best.append((mode, C, S, name, top, timed.get(top)))
            print(f"{mode:<8} C={C:>6} S={S:>5} {name:<8} " +
                  " ".join(f"{k}={v * 1e3:.1f}" for k, v in sorted(timed.items(), key=lambda x: x[1])[:4]), flush=True)
    print(f"\n{'mode':<8} {'C':>6} {'S':>5} {'dtype':<8} {'best backend':<20} {'us/call':>9}")
    for mode, C, S, name, top, ms in best:
        print(f"{mode:<8} {C:>6} {S:>5} {name:<8} {str(top):<20} {ms * 1e3 if ms else float('nan'):>9.1f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"device": torch.cuda.get_device_name(), "torch": torch.__version__, "results": rows}, f, indent=1)


if __name__ == "__main__":
    main()
