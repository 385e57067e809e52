"""What every attribution method is: a class built from its typed options, with one
`attribute(inputs, model)`; the registry that lists them; the functional shortcut."""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Mapping, Sequence

import numpy as np
import torch

from rashomon.core.config import ExplainConfig, parse_section
from rashomon.core.device import CPU
from rashomon.core.errors import InputError
from rashomon.core.registry import Registry
from rashomon.variants.scored_model import ScoredModel


@dataclass
class Attribution:
    maps: np.ndarray                       # (N, K, H, W), signed
    info: dict[str, Any] = field(default_factory=dict)   # per-image extras (e.g. LIME fidelity (N, K))


@dataclass(frozen=True)
class Inputs:
    """What a method attributes: normalised images (N, 3, H, W) and/or the frozen stem's
    outputs for them (the feature cache), the map size, optional precomputed segments, and
    the images' ids (so a method's error names the image, not its position)."""

    images: torch.Tensor | None = None
    stem_outputs: Sequence[torch.Tensor] | None = None
    size: tuple[int, int] | None = None
    segments: Sequence[np.ndarray] | None = None
    ids: Sequence[str] | None = None

    def image_label(self, i: int) -> str:
        """How a message names the i-th image: its id when known, else its position."""
        return f"image {self.ids[i]!r}" if self.ids is not None else f"image {i} of the batch"


class AttributionMethod(ABC):
    """One attribution method. Subclasses set `name` and `Options` (a frozen dataclass with
    defaults: its fields are the params.yaml section `explain.<name>`, `n_images` among
    them), declare what they read and support, and implement `attribute`."""

    name: ClassVar[str]
    Options: ClassVar[type]
    reads: ClassVar[Literal["pixels", "stem"]] = "pixels"   # stem: from the feature cache, no image file read
    in_explain: ClassVar[bool] = True          # run by the explain stage (False: a stage of its own)
    supports_ensemble: ClassVar[bool] = True   # explains a BaggedEnsemble (models of different inputs)
    uses_predict_loop: ClassVar[bool] = False  # scored by the Lightning predict loop (`explain.scoring`)

    def __init__(self, options: Any = None, *, device: torch.device = CPU,
                 scoring: Mapping[str, Any] | None = None, progress: bool = True) -> None:
        self.options = options if options is not None else self.Options()
        self.device, self.scoring, self.progress = device, scoring, progress

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> "AttributionMethod":
        """Built from keyword arguments: Options fields and constructor arguments mixed."""
        fields = {f.name for f in dataclasses.fields(cls.Options)}
        options = cls.Options(**{k: v for k, v in kwargs.items() if k in fields})
        return cls(options, **{k: v for k, v in kwargs.items() if k not in fields})

    @abstractmethod
    def attribute(self, inputs: Inputs, model: ScoredModel) -> Attribution:
        """Maps (N, K, H, W) of every model output (variant) for every input image."""

    def summary(self, result: Attribution) -> dict[str, float]:
        """What the method reports about its own maps, for the metrics (e.g. LIME's fidelity)."""
        return {}

    def header(self) -> dict[str, Any]:
        """Settings worth naming in the method's metrics file beside the maps' summaries."""
        return {}


METHODS: Registry[type[AttributionMethod]] = Registry("attribution method")


def register_method(cls: type[AttributionMethod]) -> type[AttributionMethod]:
    """Class decorator: make `cls` available under `cls.name` (params, CLI, every stage). A
    method of the package lives in a module named as it, so the typed config knows the names
    that params may use without importing torch."""
    package, _, module = cls.__module__.rpartition(".")
    if package == "rashomon.attribution.methods" and module != cls.name:
        raise ValueError(f"attribution method {cls.name!r} must live in attribution/methods/{cls.name}.py "
                         f"(found in {cls.__module__})")
    return METHODS.register(cls.name)(cls)


def attribute(method: str, images: torch.Tensor | None, model: ScoredModel, *,
              stem_outputs: Sequence[torch.Tensor] | None = None, size: tuple[int, int] | None = None,
              segments: Sequence[np.ndarray] | None = None, **kwargs: Any) -> Attribution:
    """Functional shortcut: maps of every variant of `model` for `images`, by `method`."""
    built = METHODS.get(method).from_kwargs(**kwargs)
    return built.attribute(Inputs(images, stem_outputs, size, segments), model)


def method_options(cfg: ExplainConfig, name: str, overrides: Mapping[str, Any] | None = None,
                   overrides_key: str = "") -> Any:
    """Method `name`'s typed options from its params.yaml section `explain.<name>`, with
    `overrides` (another stage's section `overrides_key`); bad keys are one clear error."""
    cls = METHODS.get(name)
    if name not in cfg.sections:
        raise InputError(f"params.yaml: missing section explain.{name} (the options of method {name!r})")
    known = [f.name for f in dataclasses.fields(cls.Options)]
    unknown = [k for k in overrides or {} if k not in known]
    if unknown:
        raise InputError(f"params.yaml: unknown key {overrides_key}.{unknown[0]} "
                         f"(options of {name}: {', '.join(known)})")
    where = f"explain.{name}" + (f" with {overrides_key}" if overrides else "")
    return parse_section(cls.Options, {**cfg.sections[name], **(overrides or {})}, where)


def build_method(cfg: ExplainConfig, name: str, device: torch.device = CPU, overrides: Mapping[str, Any] | None = None,
                 overrides_key: str = "") -> AttributionMethod:
    """Method `name` as params.yaml configures it, on `device`; perturbation methods get
    the predict loop's Trainer options (`explain.scoring`)."""
    cls = METHODS.get(name)
    scoring = dataclasses.asdict(cfg.scoring) if cls.uses_predict_loop else None
    return cls(method_options(cfg, name, overrides, overrides_key), device=device, scoring=scoring)


def check_explain_config(cfg: ExplainConfig) -> None:
    """Every `explain.methods` entry a registered method run by explain, every method section
    valid, no section for a method that does not exist (a typo would be ignored)."""
    for name in cfg.methods:
        if not METHODS.get(name).in_explain:
            raise InputError(f"params.yaml: explain.methods: {name!r} runs in a stage of its own, not in explain")
        method_options(cfg, name)
    for name in cfg.sections:
        if name not in METHODS:
            raise InputError(f"params.yaml: unknown key explain.{name}: no attribution method {name!r} "
                             f"(registered: {', '.join(METHODS.names())})")
        method_options(cfg, name)


def stored_methods(cfg: ExplainConfig) -> list[str]:
    """Every method with maps in the map store: explain's, then those with a stage of their own."""
    return [*cfg.methods, *(name for name in METHODS if not METHODS.get(name).in_explain)]


def minmax(maps: np.ndarray) -> np.ndarray:
    """Display view: each map scaled to [0, 1] (signed maps stay the analysed quantity)."""
    lo = maps.min(axis=(-2, -1), keepdims=True)
    hi = maps.max(axis=(-2, -1), keepdims=True)
    return (maps - lo) / np.where(hi > lo, hi - lo, 1.0)
