#!/usr/bin/python3
"""Charts from `webattn bench --json` files: per-call time and % of the device floor
against context length, one line per algorithm and cache dtype, prefill and decode apart.

Usage: bench/plot.py OUT_PREFIX bench1.json [bench2.json ...]
Writes OUT_PREFIX-time.png and OUT_PREFIX-floor.png. Uses Debian's matplotlib
(/usr/bin/python3).
"""
import json
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load(paths):
    series = defaultdict(list)  # (mode, algorithm, dtype) -> [(context, per_call_us, pct)]
    device = shape = None
    for path in paths:
        with open(path) as f:
            j = json.load(f)
        device = j["device"]
        shape = j["shape"]
        for r in j["results"]:
            # Chunked prefill (input_pos > 0: S new rows after a cached prefix) is its own line,
            # not a point of the S = C one.
            chunked = r["mode"] == "prefill" and r.get("input_pos", 0) > 0
            key = (r["mode"], r["algorithm"] + (", chunked" if chunked else ""), r["dtype"])
            series[key].append((r["context"], r["total_ms"] * 1e3, 100 * r["floor_ms"] / r["total_ms"]))
    return device, shape, series


def draw(series, device, shape, column, ylabel, path, logy):
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    for ax, mode in zip(axes, ("prefill", "decode")):
        for (m, algo, dtype), pts in sorted(series.items()):
            if m != mode:
                continue
            pts = sorted(set(pts))
            ax.plot([p[0] for p in pts], [p[column] for p in pts], marker="o",
                    linestyle="-" if dtype == "f32" else "--", label=f"{algo} ({dtype} cache)")
        ax.set_xscale("log", base=2)
        if logy:
            ax.set_yscale("log")
        ax.set_xlabel("context length C" + (" (S = C; chunked: S new rows at C)" if mode == "prefill" else " (S = 1)"))
        ax.set_ylabel(ylabel)
        ax.set_title(f"{mode}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"webattn on {device} — Hq {shape['q_heads']}, Hkv {shape['kv_heads']}, D {shape['head_dim']}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    prefix, paths = sys.argv[1], sys.argv[2:]
    device, shape, series = load(paths)
    draw(series, device, shape, 1, "GPU time per call (µs, cache update included)", f"{prefix}-time.png", True)
    draw(series, device, shape, 2, "% of floor (max of FLOP and byte floors)", f"{prefix}-floor.png", False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
