"""Atomic, byte-reproducible writers and the one table reader.

Every stage output is written to a temp path beside its target (`.name.<pid>.<random>.tmp`),
then renamed, so a crash never leaves a half-written output. Inside `publish_together()`
(every stage runs in one) the renames wait until the whole stage has succeeded, so a
stage that fails after computing publishes nothing. A temp path orphaned by a killed
process is ignored by DVC (`.dvcignore`: `.*.tmp`), so it never changes a hash, and is
removed by the next stage that runs beside it (`remove_stale_temps`). When Lightning runs a stage in several
processes (strategy ddp), only global rank 0 publishes; the other ranks' writes go to a
private temp path that is removed. Container formats that embed a clock
(zip entries of .npz/.xlsx, the .mat header, the workbook's core properties) are
written with fixed timestamps, so two runs give identical bytes.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import pickle
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np
import pandas as pd

from rashomon.core.errors import InputError, OutputError, os_error_line

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


TEMP_PATTERN = re.compile(r"^\..+\.(\d+)\.[^.]+\.tmp$")   # .name.<pid>.<random>.tmp


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True) if path.is_dir() and not path.is_symlink() else path.unlink(missing_ok=True)


def _entries(folder: Path) -> list[Path]:
    """A folder's entries, none where it cannot be listed (no permission, gone meanwhile)."""
    try:
        return sorted(folder.iterdir()) if folder.is_dir() else []
    except OSError:
        return []


def remove_stale_temps(folder: Path) -> list[Path]:
    """Delete the temp paths in `folder` whose writing process is gone (a killed stage's debris)."""
    removed = []
    for entry in _entries(folder):
        match = TEMP_PATTERN.match(entry.name)
        if match and not _pid_alive(int(match.group(1))):
            _remove(entry)
            removed.append(entry)
    return removed


def remove_stale_temps_below(root: Path, depth: int = 3) -> list[Path]:
    """`remove_stale_temps` in `root` and its visible folders down to `depth` levels (every
    output's folder in this project): a killed stage's debris goes at the next stage run, also
    when DVC restored the killed stage from its run cache instead of running it. Links, mount
    points and folders it may not list are passed over."""
    removed = remove_stale_temps(root)
    if depth > 1:
        for entry in _entries(root):
            if not entry.name.startswith(".") and entry.is_dir() and not entry.is_symlink() and not entry.is_mount():
                removed += remove_stale_temps_below(entry, depth - 1)
    return removed


def remove_orphans(path: Path) -> None:
    """Delete temp paths a killed earlier write of `path` left behind (live writers' are kept)."""
    for orphan in path.parent.glob(f".{path.name}.*.tmp"):
        match = TEMP_PATTERN.match(orphan.name)
        if match is None or not _pid_alive(int(match.group(1))):
            _remove(orphan)


_PENDING: list[list[tuple[Path, Path, Path]]] = []   # stack of (temp, target, temp root) lists


@contextlib.contextmanager
def publish_together() -> Iterator[None]:
    """Defer every atomic_path rename in the block to its successful end: all outputs or none."""
    _PENDING.append([])
    try:
        yield
    except BaseException:
        for _, _, root in _PENDING.pop():
            shutil.rmtree(root, ignore_errors=True)
        raise
    pending = _PENDING.pop()
    try:
        for target, path, root in pending:
            _publish(target, path)
            if root.exists():      # a file output's temp folder (a folder output's moved with it)
                shutil.rmtree(root, ignore_errors=True)
    finally:
        for _, _, root in pending:
            if root.exists():
                shutil.rmtree(root, ignore_errors=True)


def _publish(target: Path, path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
    os.replace(target, path)


RANK_VARIABLES = ("RANK", "LOCAL_RANK", "SLURM_PROCID", "JSM_NAMESPACE_RANK")   # Lightning's _get_rank order


def is_publishing_rank() -> bool:
    """False in a multi-process Lightning run's ranks other than 0: Lightning's rank once it is
    loaded, before that the rank its launcher put in the environment (a launched rank enters a
    stage's atomic paths before the lazily imported Lightning is; it must not publish)."""
    rank_zero = sys.modules.get("lightning.fabric.utilities.rank_zero")
    if rank_zero is not None:
        return getattr(rank_zero.rank_zero_only, "rank", 0) == 0
    rank = next((os.environ[k] for k in RANK_VARIABLES if os.environ.get(k)), "0")
    return int(rank) == 0


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, is_dir: bool = False) -> Iterator[Path]:
    """Yield a temp path beside `path`; rename it onto `path` only on success (and only on
    the publishing rank: other ranks' temp paths live elsewhere and are removed)."""
    path = Path(path)
    if not is_publishing_rank():
        with tempfile.TemporaryDirectory(prefix="rashomon-rank-") as private:
            yield Path(private) if is_dir else Path(private) / path.name
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_orphans(path)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent))
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the output here: {os_error_line(exc)}") from exc
    target = tmp if is_dir else tmp / path.name
    deferred = False
    try:
        try:
            yield target
        except OSError as exc:
            if _names_inside(exc, tmp):   # the write itself failed (full disk, ...): name the output
                raise OutputError(f"{path}: cannot write the output: {os_error_line(exc, path)}") from exc
            raise
        if _PENDING:
            _PENDING[-1].append((target, path, tmp))
            deferred = True
        else:
            _publish(target, path)
    finally:
        if not deferred and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


WRITE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG, errno.EIO, errno.EACCES, errno.EPERM)


def _names_inside(exc: OSError, folder: Path) -> bool:
    """Whether an OSError is about a write into `folder`: it names a path there, or none (as
    write() on a full disk does) with an errno a write meets."""
    if exc.filename is None:
        return exc.errno in WRITE_ERRNOS
    return Path(os.fsdecode(exc.filename)).resolve().is_relative_to(folder.resolve())


def _default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _nan_to_none(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_nan_to_none(v) for v in obj]
    if isinstance(obj, (float, np.floating)) and not np.isfinite(obj):
        return None
    return obj


def json_text(data: Any) -> str:
    """`data` as the JSON text every JSON output holds (NaN as null, numpy as Python)."""
    return json.dumps(_nan_to_none(data), indent=2, default=_default, allow_nan=False)


def write_json(path: str | os.PathLike, data: Any) -> None:
    """Write JSON atomically (NaN written as null, so DVC and browsers can read it)."""
    text = json_text(data)
    with atomic_path(path) as tmp:
        tmp.write_text(text + "\n")


def read_json(path: str | os.PathLike) -> Any:
    return json.loads(Path(path).read_text())


def write_csv(path: str | os.PathLike, frame: pd.DataFrame) -> None:
    """Write a CSV atomically, without the index."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def read_table(path: str | os.PathLike, what: str, dtype: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """A CSV or Parquet table; a missing, empty or unparsable file is one clear error."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: {what} does not exist")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: {what} is an empty file (0 bytes)")
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            return frame.astype(dict(dtype)) if dtype else frame
        return pd.read_csv(path, dtype=dict(dtype) if dtype else None)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read {what} ({str(exc).splitlines()[0]})") from exc


def _zip_bytes(members: Mapping[str, bytes], compress: bool) -> bytes:
    buf = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = method
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


def write_npz(path: str | os.PathLike, compress: bool = True, **arrays: np.ndarray) -> None:
    """np.savez(_compressed) with fixed zip timestamps: same arrays, same bytes."""
    members = {}
    for name, arr in arrays.items():
        buf = io.BytesIO()
        np.lib.format.write_array(buf, np.asanyarray(arr), allow_pickle=False)
        members[f"{name}.npy"] = buf.getvalue()
    with atomic_path(path) as tmp:
        tmp.write_bytes(_zip_bytes(members, compress))


def write_xlsx(path: str | os.PathLike, frame: pd.DataFrame, header: bool = False) -> None:
    """An Excel sheet whose bytes depend only on its content (openpyxl stamps the save time)."""
    buf = io.BytesIO()
    frame.to_excel(buf, header=header, index=False)
    members = {}
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        for info in zf.infolist():
            data = zf.read(info)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2000-01-01T00:00:00Z", data)
            members[info.filename] = data
    with atomic_path(path) as tmp:
        tmp.write_bytes(_zip_bytes(members, compress=True))


def write_mat(path: str | os.PathLike, variables: Mapping[str, np.ndarray]) -> None:
    """A MATLAB v5 .mat file with a fixed header text (scipy writes the save time into it)."""
    import scipy.io

    buf = io.BytesIO()
    scipy.io.savemat(buf, dict(variables))
    data = bytearray(buf.getvalue())
    data[:116] = b"MATLAB 5.0 MAT-file, written by rashomon".ljust(116)
    with atomic_path(path) as tmp:
        tmp.write_bytes(bytes(data))


def save_torch(path: str | os.PathLike, obj: Any) -> None:
    """torch.save atomically, through a Python file, so a full disk is the OSError it is (torch's
    writer then fails closing the archive and raises a RuntimeError over it: that is unwrapped)."""
    import torch

    with atomic_path(path) as tmp, open(tmp, "wb") as file:
        try:
            torch.save(obj, file)
        except RuntimeError as exc:
            if isinstance(exc.__context__, OSError):
                raise exc.__context__ from None
            raise


def load_tensors(path: str | os.PathLike, what: str) -> Any:
    """A file saved with torch.save, read with weights_only=True (tensors and plain containers,
    never code); anything else is one InputError saying what rashomon expected (`what`, e.g.
    "a head saved by rashomon"), never PyTorch's advice to switch the check off."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file (expected {what})")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:   # PyTorch's refusal advises switching the check off: never quoted
        if re.search(r"GLOBAL|Unsupported global", str(exc)):   # the pickle names Python code
            raise InputError(f"{path}: cannot read it as {what} (it holds Python objects other than tensors, "
                             "and rashomon loads tensors only)") from exc
        raise InputError(f"{path}: cannot read it as {what} (its bytes are not a file of tensors torch.save "
                         "wrote)") from exc
    except Exception as exc:  # zip, EOF and format errors come in several types
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: cannot read it as {what} ({type(exc).__name__}: {reason[:200]})") from exc
