"""Shared by the bench/prefill_*.py variant writers: a variant is the kernel folder with flash_prefill.wgsl
replaced, run through WEBATTN_KERNEL_DIR."""
import pathlib
import shutil
import sys


def rep(text, old, new, name, count=1):
    """text with `old` (found exactly `count` times, else exit naming the variant) replaced by `new`."""
    if text.count(old) != count:
        sys.exit(f"{name}: {old!r} found {text.count(old)} times, expected {count}")
    return text.replace(old, new)


def write(src_dir, out_dir, texts):
    """OUT_DIR/<name>/ = SRC_DIR's kernels with flash_prefill.wgsl = texts[name], for each name."""
    src_dir, out_dir = pathlib.Path(src_dir), pathlib.Path(out_dir)
    for name, text in texts.items():
        d = out_dir / name
        if d.exists():
            shutil.rmtree(d)
        shutil.copytree(src_dir, d)
        (d / "flash_prefill.wgsl").write_text(text)
        print(name)


def source(src_dir):
    return (pathlib.Path(src_dir) / "flash_prefill.wgsl").read_text()
