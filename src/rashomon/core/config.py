"""Typed params: the checks, the sections every stage shares, and the one loader.

params.yaml is the only place values live: no field has a default, so a missing key,
an unknown (e.g. misspelled) key, a value of the wrong type or out of its range stops
the stage before any work with one line naming `section.key`. Ranges are declared on
the fields (`Annotated[int, Bounds(1)]`: a count); checks across fields live in
`__post_init__`. A section that one stage owns is typed beside that stage's code
(`<package>/<stage>_params.py`, with the stage's params class: the sections it reads), so
editing it reruns only the stages that read it; `rashomon.params` holds every section.
Checks that need a registry (backbone or CIFAR model names) live beside that registry, so
this module imports nothing heavy.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Callable, Literal, Mapping, Union

import yaml

from rashomon.core.errors import InputError

DIMENSIONS: tuple[str, ...] = ("quality", "authenticity", "correspondence")
Dimension = Literal["quality", "authenticity", "correspondence"]
Target = Literal["quality", "authenticity", "correspondence", "overall"]   # overall: RichHF-18K's overall_score


# --- declarative checks, attached to field types with typing.Annotated ---------------------------

def _num(x: float) -> str:
    return str(x) if isinstance(x, int) else f"{x:g}"


def _key(key: Any) -> str:
    """A mapping key inside a one-line `section.key` path (repr if it is not plain text)."""
    text = str(key)
    return text if text.isprintable() and len(text) <= 80 else _show(key)


def _show(value: Any, limit: int = 80) -> str:
    """repr(value) for a one-line message, shortened when long (a huge number, a nested mapping)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit - 5]}...{text[-2:]}"


@dataclass(frozen=True)
class Bounds:
    """`low <= value <= high` (either end open or absent); `why` says what the range is for."""

    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False
    why: str = ""

    def text(self) -> str:
        if self.high is None:
            return f"{'>' if self.open_low else '>='} {_num(self.low)}"
        if self.low is None:
            return f"{'<' if self.open_high else '<='} {_num(self.high)}"
        return (f"in {'(' if self.open_low else '['}{_num(self.low)}, {_num(self.high)}"
                f"{')' if self.open_high else ']'}")

    def check(self, value: Any, where: str) -> None:
        low_ok = self.low is None or (value > self.low if self.open_low else value >= self.low)
        high_ok = self.high is None or (value < self.high if self.open_high else value <= self.high)
        if not (low_ok and high_ok):
            why = f" ({self.why})" if self.why else ""
            raise InputError(f"params.yaml: {where} must be {self.text()}{why}, got {_show(value)}")


@dataclass(frozen=True)
class Check:
    """Any other one-value rule: `ok(value)` must hold; `text` completes "must be ..."."""

    ok: Callable[[Any], bool]
    text: str

    def check(self, value: Any, where: str) -> None:
        if not self.ok(value):
            raise InputError(f"params.yaml: {where} must be {self.text}, got {_show(value)}")


@dataclass(frozen=True)
class NonEmpty:
    """A list (or string) with at least one element."""

    why: str = ""

    def check(self, value: Any, where: str) -> None:
        if len(value) == 0:
            why = f" ({self.why})" if self.why else ""
            raise InputError(f"params.yaml: {where} must not be empty{why}")


@dataclass(frozen=True)
class Unique:
    """No value twice in a list (floats compared as the `{:g}` labels that name outputs):
    a repeated name would do the same work twice and collide in the outputs."""

    def check(self, value: list, where: str) -> None:
        seen: set = set()
        for v in value:
            label = f"{v:g}" if isinstance(v, float) else v
            if label in seen:
                raise InputError(f"params.yaml: {where} lists {_show(v)} more than once (each entry must be distinct)")
            seen.add(label)


YAML11_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")   # exponent floats PyYAML leaves as text
INT64_MAX = 2**63 - 1  # numpy and torch hold ints in 64 bits
SEED_MAX = 2**31 - 1   # Lightning refuses seeds beyond 2**32 - 1; stages add offsets (variant, image) to seeds

Count = Annotated[int, Bounds(1, why="a count")]
NonNegativeInt = Annotated[int, Bounds(0)]
Seed = Annotated[int, Bounds(0, SEED_MAX, why="a random seed")]
Positive = Annotated[float, Bounds(0, open_low=True)]
NonNegative = Annotated[float, Bounds(0)]
Probability = Annotated[float, Bounds(0, 1)]
OpenFraction = Annotated[float, Bounds(0, 1, open_low=True, open_high=True)]
Text = Annotated[str, NonEmpty()]
Odd = Check(lambda v: v % 2 == 1, "an odd number")
PromptIndex = Annotated[int, Bounds(0, why="0-based prompt index")]


T = typing.TypeVar("T")
P = typing.TypeVar("P")
Names = Annotated[list[T], NonEmpty(), Unique()]   # non-empty, each entry once: names of work items
Distinct = Annotated[list[T], Unique()]            # maybe empty, each entry once


# --- sections --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RichHF18KConfig:
    records: dict[str, Text]       # train/dev/test: the release's TFRecord files, inside data.root
    images: Text                   # folder of the Pick-a-Pic v1 images inside data.root (found by `filename`)
    heatmap: Literal["artifact_map", "misalignment_map"]   # the human map stored as the cue map

    def __post_init__(self) -> None:
        if set(self.records) != {"train", "dev", "test"}:
            raise InputError(f"params.yaml: data.richhf18k.records needs exactly the keys train, dev and test, "
                             f"got {sorted(self.records)}")


@dataclass(frozen=True)
class DataConfig:
    source: Literal["aigciqa2023", "manifest", "richhf18k"]
    root: Text                     # dataset folder (DVC tracks it: keep every file the pipeline reads inside)
    reps: Count
    generators: Names[Text] | None
    ratings_long: Text | None      # per-rater table, relative to root (or null)
    rating_range: list[float]
    likert_range: list[float]
    target: Target                 # the judgment models learn (overall: RichHF-18K only)
    min_image_side: Count          # ingest refuses an image whose shorter side is below this (px)
    max_image_pixels: Annotated[int, Bounds(1, 178_956_970, why="PIL refuses larger images outright")]   # ingest
                                   # refuses an image with more pixels than this, before decoding it
    richhf18k: RichHF18KConfig     # file names of the RichHF-18K release (data.source: richhf18k)

    def __post_init__(self) -> None:
        for key in ("rating_range", "likert_range"):
            lo_hi = getattr(self, key)
            if len(lo_hi) != 2 or lo_hi[0] >= lo_hi[1]:
                raise InputError(f"params.yaml: data.{key} must be [low, high] with low < high, got {lo_hi}")
        if self.target == "overall" and self.source != "richhf18k":
            raise InputError(f"params.yaml: data.target 'overall' is RichHF-18K's overall_score (data.source: "
                             f"richhf18k); {self.source} has only {list(DIMENSIONS)}")


@dataclass(frozen=True)
class BackbonesConfig:
    names: Names[str]
    weights: dict[str, Text]
    batch_size: Count
    cache_dtype: Literal["float16", "float32"]


@dataclass(frozen=True)
class TrainConfig:
    scheme: Literal["exp1", "exp3"]
    seeds: Count                   # variants per architecture (<= split.n_variants)
    seed: Seed
    lr: Positive
    batch_size: Count
    max_epochs: Count
    patience: NonNegativeInt       # early stopping: epochs without improvement
    dropout: Annotated[float, Bounds(0, 1, open_high=True)]


@dataclass(frozen=True)
class ScoringConfig:
    """Lightning Trainer options of the perturbation-scoring predict loop (MPM, LIME)."""

    accelerator: Literal["auto", "cpu", "gpu", "cuda", "mps"]
    devices: Annotated[int, Check(lambda v: v == -1 or v >= 1, "-1 (every device) or >= 1")]
    num_nodes: Count
    strategy: Literal["auto", "ddp", "ddp_spawn"]


@dataclass(frozen=True)
class ComputeConfig:
    """Where every network outside the MPM/LIME predict loop runs (that loop: `explain.scoring`)."""

    accelerator: Literal["auto", "cpu", "gpu", "cuda", "mps"]   # auto: cuda if available, else cpu
    workers: Count | None          # processes for independent units (architectures...); null: one per core.
                                   # Never changes a byte (every unit runs with core.parallel.UNIT_THREADS threads)


ATTRIBUTION_METHODS_FOLDER = Path(__file__).resolve().parents[1] / "attribution" / "methods"


def attribution_method_names() -> list[str]:
    """The attribution methods' names, read without importing them (torch) so that every stage
    checks them: one module per method in attribution/methods, named as its method
    (`register_method` refuses any other name)."""
    return sorted(p.stem for p in ATTRIBUTION_METHODS_FOLDER.glob("*.py") if not p.stem.startswith("_"))


def check_method_names(key: str, names: list[str]) -> None:
    """Every name in params key `key` an attribution method: one line listing the known ones."""
    known = attribution_method_names()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InputError(f"params.yaml: {key}: unknown attribution method {_show(unknown[0])} "
                         f"(known: {', '.join(known)})")


@dataclass(frozen=True)
class ExplainConfig:
    methods: Names[Text]
    use_pruned: bool
    n_figures: NonNegativeInt
    scoring: ScoringConfig
    sections: dict[str, dict[str, Any]]   # every other key: a method's options (explain.<method>), typed by it

    EXTRA: typing.ClassVar[str] = "sections"   # parse_section puts the keys it does not know here

    def __post_init__(self) -> None:
        check_method_names("explain.methods", self.methods)
        for name in self.sections:
            if name not in attribution_method_names():
                raise InputError(f"params.yaml: unknown key explain.{_key(name)}: neither a setting of explain nor "
                                 f"an attribution method (methods: {', '.join(attribution_method_names())})")


@dataclass(frozen=True)
class InferenceConfig:
    """Uncertainty on every headline (rashomon.inference)."""

    n_resamples: Annotated[int, Bounds(100, why="bootstrap resamples")]   # expanded percentile 95% intervals
    min_n: Annotated[int, Bounds(2, why="an interval needs two units")]  # fewer images: a verdict is undefined
    seed: Seed


Determinism = Literal["portable", "fast"]   # portable: same bytes on any x86-64 with AVX2 (docs/reproducibility.md)

# every top-level section of params.yaml; each stage parses only the ones it reads (its params class, whose
# fields match the stage's `params:` in dvc.yaml), so a section's type lives beside the stage that owns it
SECTIONS: tuple[str, ...] = (
    "data", "synthetic", "filter", "reliability", "split", "backbones", "pretrain", "train", "rashomon_set", "prune",
    "explain",
    "ensemble", "consistency", "groundtruth", "sanity", "counterfactual", "idsds", "compute", "inference",
    "controls", "determinism",
)


# --- the loader ------------------------------------------------------------------------------------

def _describe(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _convert(value: Any, tp: Any, where: str) -> Any:
    """`value` checked against the annotation `tp`: ints accepted for floats, integral
    floats (2.0, as DVC may write 2) for ints; `Annotated` rules checked on the result."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return value               # checked later by whoever owns it (a method's typed options)
    if origin is Annotated:
        out = _convert(value, args[0], where)
        for rule in tp.__metadata__:
            rule.check(out, where)
        return out
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(value, inner[0], where)
    if origin is Literal:
        if not isinstance(value, (str, int, float, type(None))) or value not in args:
            raise InputError(f"params.yaml: {where} = {_show(value)} is not one of {list(args)}")
        return value
    if dataclasses.is_dataclass(tp):
        return parse_section(tp, value, where)
    if origin is list:
        if not isinstance(value, list):
            raise InputError(f"params.yaml: {where} must be a list, got {_show(value)}")
        return [_convert(v, args[0], f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise InputError(f"params.yaml: {where} must be a mapping, got {_show(value)}")
        return {str(k): _convert(v, args[1], f"{where}.{_key(k)}") for k, v in value.items()}
    if tp is float and isinstance(value, str) and YAML11_FLOAT.fullmatch(value.strip()):
        value = float(value)       # PyYAML reads `1e-3` (no dot) as text; DVC's YAML reads a number
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is float and is_number:
        try:
            out = float(value)
        except OverflowError:
            out = math.inf
        if not math.isfinite(out):
            raise InputError(f"params.yaml: {where} must be a finite number, got {_show(value)}")
        return out
    if tp is int and is_number and (isinstance(value, int) or (math.isfinite(value) and value.is_integer())):
        out = int(value)   # DVC writes `-S key=2` as 2 or 2.0 alike
        if abs(out) > INT64_MAX:
            raise InputError(f"params.yaml: {where} must fit in 64 bits (|value| <= {INT64_MAX}), got {_show(value)}")
        return out
    if tp in (str, bool) and isinstance(value, tp):
        return value
    raise InputError(f"params.yaml: {where} must be {_describe(tp)}, got {_show(value)}")


def parse_section(cls: type, data: Any, where: str) -> Any:
    """Build dataclass `cls` from a mapping; unknown, missing, mistyped or out-of-range keys are
    errors, except where `cls.EXTRA` names a field that collects the other keys' mappings."""
    if not isinstance(data, Mapping):
        raise InputError(f"params.yaml: section {where!r} must be a mapping, got {_show(data)}")
    hints = typing.get_type_hints(cls, include_extras=True)
    extra_field = getattr(cls, "EXTRA", None)
    names = [f.name for f in dataclasses.fields(cls) if f.name != extra_field]
    unknown = [k for k in data if k not in names]
    if unknown and extra_field is None:
        raise InputError(f"params.yaml: unknown key {where}.{_key(unknown[0])} "
                         f"(known keys of {where}: {', '.join(names)})")
    missing = [k for k in names if k not in data]
    if missing:
        raise InputError(f"params.yaml: missing key {where}.{missing[0]} (every setting lives in params.yaml)")
    values = {k: _convert(data[k], hints[k], f"{where}.{k}") for k in names}
    if extra_field is not None:
        values[extra_field] = {str(k): _convert(data[k], dict[str, Any], f"{where}.{_key(k)}") for k in unknown}
    return cls(**values)


def load_params(cls: type[P], path: str | os.PathLike = "params.yaml") -> P:
    """Read the params file and check the sections that `cls` (a stage's params dataclass) holds;
    every other section must at least be one params.yaml knows (a misspelled section is an error)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: params file does not exist")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from exc
    if not isinstance(raw, dict):
        raise InputError(f"{path}: top level must be a mapping of sections")
    unknown = [k for k in raw if k not in SECTIONS]
    if unknown:
        raise InputError(f"params.yaml: unknown section {_show(unknown[0])} (known: {', '.join(SECTIONS)})")
    missing = [k for k in SECTIONS if k not in raw]
    if missing:
        raise InputError(f"params.yaml: missing section {missing[0]!r}")
    hints = typing.get_type_hints(cls, include_extras=True)
    fields = [f.name for f in dataclasses.fields(cls)]
    return cls(**{k: parse_section(hints[k], raw[k], k) if dataclasses.is_dataclass(hints[k])
                  else _convert(raw[k], hints[k], k) for k in fields})
