#!/usr/bin/env python3
"""Native reference speed: PyTorch CUDA scaled_dot_product_attention on the shapes
`webattn bench` uses (GQA expanded to Hq heads, causal for prefill). Times the SDPA
call alone with CUDA events: warm-up, then the median of many runs.

Usage: torch_sdpa.py --heads 32 --kv-heads 8 --head-dim 128 --prefill 128,512,2048 \
                     --decode 512,4096,16384 [--json FILE]
"""
import argparse
import json
import statistics

import torch
import torch.nn.functional as F


def time_ms(fn, repeats=50, warmup=10):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--heads", type=int, default=32)
    ap.add_argument("--kv-heads", type=int, default=8)
    ap.add_argument("--head-dim", type=int, default=128)
    ap.add_argument("--prefill", default="128,512,2048")
    ap.add_argument("--decode", default="512,4096,16384")
    ap.add_argument("--json")
    a = ap.parse_args()
    dev = torch.device("cuda")
    torch.backends.cuda.matmul.allow_tf32 = False  # fp32 means fp32
    torch.backends.cudnn.allow_tf32 = False
    g = a.heads // a.kv_heads
    rows = []
    points = [("prefill", int(c)) for c in a.prefill.split(",") if c] + \
             [("decode", int(c)) for c in a.decode.split(",") if c]
    print(f"torch {torch.__version__} on {torch.cuda.get_device_name()}")
    print(f"{'mode':<8} {'C':>6} {'dtype':<8} {'sdpa us':>10}")
    for mode, C in points:
        S = C if mode == "prefill" else 1
        for dtype in (torch.float32, torch.float16):
            q = torch.randn(1, a.heads, S, a.head_dim, device=dev, dtype=dtype)
            k = torch.randn(1, a.kv_heads, C, a.head_dim, device=dev, dtype=dtype).repeat_interleave(g, dim=1)
            v = torch.randn(1, a.kv_heads, C, a.head_dim, device=dev, dtype=dtype).repeat_interleave(g, dim=1)
            causal = mode == "prefill"  # decode: the single row sees the whole cache
            ms = time_ms(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal))
            name = str(dtype).replace("torch.", "")
            print(f"{mode:<8} {C:>6} {name:<8} {ms * 1e3:>10.1f}")
            rows.append({"mode": mode, "context": C, "dtype": name, "ms": ms})
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"device": torch.cuda.get_device_name(), "torch": torch.__version__, "results": rows}, f, indent=1)


if __name__ == "__main__":
    main()
