"""Portable reproducibility: pin every CPU kernel library's instruction set and thread
count before numpy or torch load them, so two x86-64 machines with AVX2 (with or
without AVX-512, Intel or AMD) compute the same bytes.

Measured on a toy training (20 Adam steps of a small conv net, `rashomon.core.fingerprint`):
ATen's capability, oneDNN's ISA, MKL's code path and the intra-op thread count each change
the trained weights; numpy's OpenBLAS picks a different GEMM kernel on AVX-512 (SkylakeX)
than on AVX2 (Haswell), and numpy's own ufuncs (exp, log) run AVX-512 loops where the CPU
has them (a psychometrics stage without torch differed at 1e-12 between the AVX-512 Intel
machine of the earlier outputs and an AVX2 AMD EPYC). MKL honours a named branch (MKL_CBWR=AVX2) on Intel CPUs only and
runs its own choice elsewhere (on AMD EPYC, AVX2, SSE4_2 and AUTO give one hash, another
than Intel's), so only its COMPATIBLE branch is the same on both vendors: it costs fp32
matmul-bound fits 1.7-2.6x (benchmarks/bench_kernel_paths.py); convolutions run in oneDNN.
`portable` pins all six; `fast` leaves the machine's choices alone.
This module imports only the standard library and PyYAML: it must run before numpy.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any, Sequence

PORTABLE_THREADS = 2   # intra-op threads in portable mode: a fixed count, whatever the machine has

PORTABLE_ENV: dict[str, str] = {
    "ATEN_CPU_CAPABILITY": "avx2",        # PyTorch's vectorised kernels
    "ONEDNN_MAX_CPU_ISA": "AVX2",         # oneDNN (convolutions)
    "MKL_CBWR": "COMPATIBLE",             # MKL (matmul): the one branch MKL runs alike on Intel and AMD
    "OPENBLAS_CORETYPE": "Haswell",       # numpy's OpenBLAS GEMM kernels
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",   # numpy's own AVX-512 ufunc loops (exp, log...)
    "OMP_NUM_THREADS": str(PORTABLE_THREADS),
    "MKL_NUM_THREADS": str(PORTABLE_THREADS),
    "OPENBLAS_NUM_THREADS": str(PORTABLE_THREADS),
}
MODES = ("portable", "fast")
_KERNEL_LIBRARIES = ("numpy", "torch")

log = logging.getLogger("rashomon.core.determinism")


def has_avx2() -> bool:
    """Whether this CPU has AVX2 and FMA (the portable kernels' instruction set); Linux x86-64 only."""
    try:
        flags = Path("/proc/cpuinfo").read_text().split("flags", 1)[1].split("\n", 1)[0].split()
    except (OSError, IndexError):
        return False
    return "avx2" in flags and "fma" in flags


def requested_mode(argv: Sequence[str]) -> str:
    """The `determinism` value of the params file a stage was given (`--params`, default
    params.yaml); `portable` when it cannot be read (the config loader reports why later)."""
    import yaml

    path = "params.yaml"
    for i, arg in enumerate(argv):
        if arg == "--params" and i + 1 < len(argv):
            path = argv[i + 1]
        elif arg.startswith("--params="):
            path = arg.split("=", 1)[1]
    try:
        value = (yaml.safe_load(Path(path).read_text()) or {}).get("determinism", "portable")
    except (OSError, yaml.YAMLError, AttributeError):
        return "portable"
    return value if value in MODES else "portable"


def pin_environment(mode: str) -> bool:
    """Set the portable kernel environment (before numpy/torch load); True if pinned."""
    if mode != "portable":
        return False
    loaded = [m for m in _KERNEL_LIBRARIES if m in sys.modules]
    if loaded:
        raise RuntimeError(f"rashomon.core.determinism: {', '.join(loaded)} already imported; "
                           "import rashomon.core.pin_kernels first (portable mode cannot pin loaded libraries)")
    if not has_avx2():
        return False
    os.environ.update(PORTABLE_ENV)
    return True


def private_compile_cache(folder: Path) -> Path | None:
    """Point torch's compile cache (which importing Lightning creates, in /tmp by default) at a
    temp path of this process in `folder`, removed with the stage's scratch (and by the next
    stage if this one is killed); None when the user chose a cache folder."""
    if "TORCHINDUCTOR_CACHE_DIR" in os.environ:
        return None
    path = folder / f".stage.{os.getpid()}.inductor.tmp"
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(path)
    return path


def is_pinned() -> bool:
    """Whether this process runs with the portable kernel environment."""
    return all(os.environ.get(k) == v for k, v in PORTABLE_ENV.items())


def apply_in_torch(mode: str) -> None:
    """After the stage's imports: fixed thread count and deterministic algorithms in portable
    mode; refuses to run portable with an unpinned environment (a stage that skipped the pin).
    A stage that does not import torch is left alone (importing torch costs ~2 s per stage);
    `check_torch_applied` after the stage catches one that imports torch late."""
    if "torch" not in sys.modules:
        return
    import torch

    if mode != "portable":
        return
    if not has_avx2():
        log.warning("determinism: portable needs an x86-64 CPU with AVX2; this one has none, so results "
                    "are reproducible only on machines like this one")
        return
    if not is_pinned():
        raise RuntimeError("determinism: portable, but this process started without the pinned kernels "
                           "(the stage must import rashomon.core.pin_kernels before numpy and torch)")
    capability = torch.backends.cpu.get_cpu_capability()
    if capability != "AVX2":
        raise RuntimeError(f"determinism: portable, but ATen runs {capability} kernels, not AVX2")
    torch.set_num_threads(PORTABLE_THREADS)
    deterministic_algorithms(torch)


def deterministic_algorithms(torch: Any) -> None:
    """torch.use_deterministic_algorithms(True, warn_only=True) without its 1.2 s import of
    torch._inductor (it sets inductor's flag too; nothing here is compiled)."""
    torch._C._set_deterministic_algorithms(True, warn_only=True)


def check_torch_applied(loaded_before: bool) -> None:
    """Fail a stage that imported torch only while it ran: its kernels ran without the
    settings `apply_in_torch` gives (stages import every torch module at the top)."""
    if not loaded_before and "torch" in sys.modules:
        raise RuntimeError("determinism: torch was imported while the stage ran, after the determinism "
                           "settings were applied; import the torch-using modules at the top of the stage")
