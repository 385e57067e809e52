#!/usr/bin/env bash
# Set up rashomon on a fresh machine: a virtualenv in .venv with the pinned torch
# (served from local disk) and everything else. Idempotent: reruns are quick.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
# Pin torch first so no other requirement can pull a different build.
.venv/bin/python -m pip install -q --disable-pip-version-check \
    torch==2.14.1 torchvision==0.29.1 2>&1 | grep -v "is ignored" || true
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev]" \
    2>&1 | grep -v "is ignored" || true
.venv/bin/python -c "import torch, torchvision, rashomon; assert torch.__version__.startswith('2.14.1'), torch.__version__"
# DVC repositories need git; a fresh clone of this repo already is one.
