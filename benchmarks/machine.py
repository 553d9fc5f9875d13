"""What the benchmark reports about the machine beside its results: cores, CPU, memory, and how fast
it creates files that day (a condition of the machine more than of tenantgen)."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import Any


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        memory = f"{int(Path('/proc/meminfo').read_text().split()[1]) / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cores": cores, "cpu": model, "memory": memory, "python": platform.python_version(),
            "system": f"{platform.system()} {platform.release()}"}


def file_creation_probe(folder: Path, count: int = 3000) -> float:
    """Microseconds to create one small file in a new folder, as a render's output is made.

    A condition of the machine more than of tenantgen, so it is reported beside the results: on ext4
    without a journal (this machine's kind), creating files is ~10x slower for up to five minutes after
    many files were deleted (the kernel's inode allocator skips recently freed inodes one by one), and
    a cold render's 125,000 files with it. The probe's files are left in place until the end: deleting
    them would cause exactly that.
    """
    started = time.perf_counter()
    for number in range(count):
        sub = folder / f"{number // 3:04d}"
        if number % 3 == 0:
            sub.mkdir(parents=True)
        (sub / f"{number}.yaml").write_bytes(b"x" * 1500)
    return (time.perf_counter() - started) / count * 1e6
