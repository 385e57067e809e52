"""Compare two machines' arithmetic in seconds: print this CPU's vendor and model, the
kernel settings in force and the hash of a toy training (conv, batch norm, matmul, Adam)
and of a numpy matrix product. Two machines that print the same hashes train the default's
networks to the same bytes under the same settings.

    python -m rashomon.core.fingerprint              # determinism: portable (the default)
    python -m rashomon.core.fingerprint --mode fast  # the machine's own kernel choices
    python -m rashomon.core.fingerprint --json       # one JSON object (benchmarks read it)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

from rashomon.core.determinism import MODES, PORTABLE_ENV, pin_environment

TOY_STEPS = 20


def cpu_identity() -> dict[str, Any]:
    """Vendor, model name and the vector extensions that decide kernel paths (Linux /proc/cpuinfo)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {"vendor": "unknown", "model": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                "flags": []}
    fields: dict[str, str] = {}
    for line in text.split("\n\n", 1)[0].splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    flags = fields.get("flags", "").split()
    return {"vendor": fields.get("vendor_id", "unknown"), "model": fields.get("model name", "unknown"),
            "cores": os.cpu_count(),
            "flags": [f for f in ("avx2", "fma", "avx512f", "avx512_bf16", "amx_tile") if f in flags]}


def toy_training_hash() -> str:
    """sha256 of a small conv net's weights after TOY_STEPS Adam steps on seeded data (every
    kernel family the default's training uses: oneDNN convolutions, MKL matmuls, reductions)."""
    import torch
    from torch import nn

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(64, 3, 24, 24, generator=gen)
    y = torch.randn(64, 1, generator=gen)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(4),
                        nn.Flatten(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 1))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    for _ in range(TOY_STEPS):
        opt.zero_grad()
        nn.functional.mse_loss(net(x), y).backward()
        opt.step()
    digest = hashlib.sha256()
    for value in net.state_dict().values():
        digest.update(value.detach().contiguous().numpy().tobytes())
    return digest.hexdigest()


def numpy_matmul_hash() -> str:
    """sha256 of a seeded 300 x 300 float64 matrix product (numpy's BLAS)."""
    import numpy as np

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((300, 300)), rng.standard_normal((300, 300))
    return hashlib.sha256(np.ascontiguousarray(a @ b).tobytes()).hexdigest()


def _numpy_version() -> str:
    import numpy

    return numpy.__version__


def fingerprint(mode: str) -> dict[str, Any]:
    """Everything the comparison needs; call in a fresh process (the kernels are pinned at import)."""
    pinned = pin_environment(mode)
    import torch

    if pinned:
        from rashomon.core.determinism import apply_in_torch

        apply_in_torch(mode)
    return {"cpu": cpu_identity(), "mode": mode, "pinned": pinned,
            "settings": {k: os.environ.get(k) for k in PORTABLE_ENV},
            "torch": torch.__version__, "numpy": _numpy_version(),
            "aten_capability": torch.backends.cpu.get_cpu_capability(),
            "threads": torch.get_num_threads(), "toy_training_sha256": toy_training_hash(),
            "numpy_matmul_sha256": numpy_matmul_hash()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=MODES, default="portable")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if any(m in sys.modules for m in ("numpy", "torch")):
        parser.error("run me as a fresh process: python -m rashomon.core.fingerprint")
    result = fingerprint(args.mode)
    if args.json:
        print(json.dumps(result, sort_keys=True))
        return
    cpu = result["cpu"]
    print(f"cpu: {cpu['vendor']} {cpu['model']} ({cpu['cores']} cores; {' '.join(cpu['flags'])})")
    print(f"mode: {result['mode']} (pinned: {result['pinned']}); ATen {result['aten_capability']}, "
          f"{result['threads']} threads; torch {result['torch']}")
    print("settings: " + " ".join(f"{k}={v}" for k, v in result["settings"].items()))
    print(f"toy training: {result['toy_training_sha256']}")
    print(f"numpy matmul: {result['numpy_matmul_sha256']}")


if __name__ == "__main__":
    main()
