"""The embedded default: a synthetic authenticity dataset with ground-truth cue masks.

Procedural scenes (one object of a known class on a textured background) are degraded
by a *global quality* factor (blur, noise, contrast) and carry a *local authenticity
artifact* (checkerboard upsampling texture, a repeated tile with seams, blotchy colour noise)
in a region whose mask is saved; each kind is visible in a single image, so a network can
learn it (benchmarks/probe_artifact_designs.py). Raters respond to the artifact as far as it
is *visible*: the mean absolute pixel change it makes (`artifact_visibility`), not its
nominal strength, since the same strength changes a flat region and a textured one unequally.
25 simulated raters (own bias, scale, noise, and a halo
shared across dimensions) give Likert 1-5 ratings; MOS are per-rater z-scores rescaled
to 0-100 as in AIGCIQA2023. Everything is written in the AIGCIQA2023 on-disk format so
the real loader reads it. Not human data: every result on it is labelled synthetic.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
from scipy import ndimage
from tqdm import tqdm

from rashomon.core.config import DIMENSIONS
from rashomon.core.errors import InputError
from rashomon.core.io import atomic_path, write_json, write_mat, write_xlsx
from rashomon.data.aigciqa import GENERATORS, PROMPTS_FILE
from rashomon.data.twins import TWIN_DIR, TWINS
from rashomon.data.synthesize_params import SyntheticConfig

CHALLENGES: tuple[str, ...] = (
    "Basic", "Simple Detail", "Complex", "Fine-grained Detail", "Imagination",
    "Style & Format", "Writing & Symbols", "Quantity", "Perspective", "Linguistic Structures",
)
OBJECT_CLASSES: tuple[str, ...] = ("disk", "square", "triangle", "ring", "cross", "diamond", "bar", "star")
COLOURS: dict[str, tuple[float, float, float]] = {
    "red": (0.85, 0.15, 0.15), "green": (0.15, 0.7, 0.25), "blue": (0.15, 0.3, 0.85),
    "yellow": (0.9, 0.8, 0.15), "purple": (0.6, 0.2, 0.7), "white": (0.92, 0.92, 0.92),
}
ARTIFACTS: tuple[str, ...] = ("checkerboard", "repeated_tile", "colour_noise")


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    return (x + 0.5) / size, (y + 0.5) / size


def shape_mask(kind: str, size: int, cx: float, cy: float, r: float, angle: float) -> np.ndarray:
    """Pixels of object `kind` (one of OBJECT_CLASSES) centred at (cx, cy), radius r, turned by `angle` (radians)."""
    x, y = _grid(size)
    dx, dy = x - cx, y - cy
    c, s = np.cos(angle), np.sin(angle)
    u, v = c * dx + s * dy, -s * dx + c * dy
    if kind == "disk":
        return (u**2 + v**2) < r**2
    if kind == "square":
        return (np.abs(u) < r * 0.85) & (np.abs(v) < r * 0.85)
    if kind == "triangle":
        return (v < r * 0.7) & (v > -r * 0.9 + 1.8 * np.abs(u))
    if kind == "ring":
        d = np.sqrt(u**2 + v**2)
        return (d < r) & (d > r * 0.55)
    if kind == "cross":
        return ((np.abs(u) < r * 0.3) & (np.abs(v) < r)) | ((np.abs(v) < r * 0.3) & (np.abs(u) < r))
    if kind == "diamond":
        return (np.abs(u) + np.abs(v)) < r
    if kind == "bar":
        return (np.abs(u) < r) & (np.abs(v) < r * 0.3)
    if kind == "star":
        theta = np.arctan2(v, u)
        return np.sqrt(u**2 + v**2) < r * (0.55 + 0.45 * np.cos(5 * theta) ** 2)
    raise ValueError(f"unknown shape {kind}")


MATERIALS: tuple[str, ...] = ("plain", "stripes", "dots", "grain", "rings")


def material_texture(rng: np.random.Generator, size: int, kind: str, cx: float, cy: float) -> np.ndarray:
    """A surface texture in [-1, 1] (period 3-10 px, random orientation): the materials of
    the pretraining scenes, so backbones learn texture features as ImageNet ones do."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    period = rng.uniform(3.0, 10.0)
    angle = rng.uniform(0, np.pi)
    u, v = x * np.cos(angle) + y * np.sin(angle), -x * np.sin(angle) + y * np.cos(angle)
    if kind == "plain":
        return np.zeros((size, size), np.float32)
    if kind == "stripes":
        return np.sin(2 * np.pi * u / period).astype(np.float32)
    if kind == "dots":
        return (np.sin(2 * np.pi * u / period) * np.sin(2 * np.pi * v / period) > 0.5).astype(np.float32) * 2 - 1
    if kind == "grain":
        g = ndimage.gaussian_filter(rng.normal(0, 1, (size, size)), sigma=period / 8)
        return np.clip(g / (g.std() + 1e-8), -1, 1).astype(np.float32)
    if kind == "rings":
        return np.sin(2 * np.pi * np.hypot(x - cx * size, y - cy * size) / period).astype(np.float32)
    raise ValueError(f"unknown material {kind}")


def render_scene(rng: np.random.Generator, size: int, obj: str, colour: str, material: str | None = None) -> np.ndarray:
    """A clean scene: smooth two-colour background with texture and one object (of a
    surface `material`, pretraining scenes only; None draws nothing extra)."""
    x, y = _grid(size)
    c0, c1 = rng.uniform(0.2, 0.8, 3), rng.uniform(0.2, 0.8, 3)
    t = np.clip(x * np.cos(rng.uniform(0, np.pi)) + y * np.sin(rng.uniform(0, np.pi)), 0, 1)
    img = (1 - t)[..., None] * c0 + t[..., None] * c1
    texture = ndimage.gaussian_filter(rng.normal(0, 1, (size, size)), sigma=size / 16)
    img = img + 0.08 * texture[..., None] / (texture.std() + 1e-8)
    cx, cy = rng.uniform(0.3, 0.7, 2)
    r = rng.uniform(0.16, 0.26)
    mask = shape_mask(obj, size, cx, cy, r, rng.uniform(0, 2 * np.pi))
    shade = 1.0 - 0.35 * ((x - cx) + (y - cy))  # consistent lighting from the top-left
    rgb = np.asarray(COLOURS[colour])[None, None, :] * shade[..., None]
    if material is not None:
        rgb = rgb * (1 + 0.3 * material_texture(rng, size, material, cx, cy))[..., None]
    img = np.where(mask[..., None], rgb, img)
    return np.clip(img, 0, 1).astype(np.float32)


def degrade_global(rng: np.random.Generator, img: np.ndarray, badness: float) -> np.ndarray:
    """Global quality loss of strength `badness` in [0, 1]: blur, noise, contrast."""
    out = ndimage.gaussian_filter(img, sigma=(1.6 * badness, 1.6 * badness, 0))
    mean = out.mean(axis=(0, 1), keepdims=True)
    out = mean + (1 - 0.55 * badness) * (out - mean)
    out = out + rng.normal(0, 0.12 * badness, out.shape)
    return np.clip(out, 0, 1).astype(np.float32)


def tiled(region: np.ndarray, side: int, t: int, gain: float, seam: float | None) -> np.ndarray:
    """A `t` px tile of `region`, its contrast times `gain`, its last row and column times `seam`
    (none: no seams), repeated to `side` px (the repeated-tile artifact and its candidate designs)."""
    tile = region[:t, :t]
    tile = tile.mean(axis=(0, 1)) + gain * (tile - tile.mean(axis=(0, 1)))
    if seam is not None:
        tile[-1], tile[:, -1] = tile[-1] * seam, tile[:, -1] * seam
    return np.tile(tile, (side // t + 1, side // t + 1, 1))[:side, :side]


def add_artifact(
    rng: np.random.Generator, img: np.ndarray, strength: float, kind: str
) -> tuple[np.ndarray, np.ndarray]:
    """Add a local artifact of `strength` in [0, 1]; return the image and its mask."""
    size = img.shape[0]
    side = int(rng.integers(size // 4, size // 2 + 1))
    x0, y0 = rng.integers(0, size - side + 1, 2)
    mask = np.zeros((size, size), dtype=np.float32)
    mask[y0:y0 + side, x0:x0 + side] = 1.0
    region = img[y0:y0 + side, x0:x0 + side]
    if kind == "checkerboard":
        yy, xx = np.mgrid[0:side, 0:side]
        pattern = np.where((xx // 2 + yy // 2) % 2 == 0, 1.0, -1.0)[..., None]
        altered = region + 0.35 * pattern
    elif kind == "repeated_tile":       # an 8 px tile of the region, contrast tripled, repeated with dark seams
        altered = tiled(region, side, 8, gain=3.0, seam=0.25)
    elif kind == "colour_noise":        # blotchy colour inconsistency: per-pixel colour noise, channel mean kept
        noise = rng.normal(0, 0.25, region.shape)
        altered = region + noise - noise.mean(axis=-1, keepdims=True)
    else:
        raise ValueError(f"unknown artifact {kind}")
    out = img.copy()
    out[y0:y0 + side, x0:x0 + side] = (1 - strength) * region + strength * np.clip(altered, 0, 1)
    return np.clip(out, 0, 1).astype(np.float32), mask


def render_with_twins(rng: np.random.Generator, size: int, obj: str, colour: str, badness: float, strength: float,
                      artifact: str | None) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """An image, its artifact mask, and its twins from the same random draws: the same
    scene without the local artifact, and the same scene (artifact at the same place and
    strength) without the global degradation. The twins say what each cue does to a model."""
    scene = render_scene(rng, size, obj, colour)
    after_scene = rng.bit_generator.state
    degraded = degrade_global(rng, scene, badness)
    mask = np.zeros(degraded.shape[:2], dtype=np.float32)
    img = degraded
    if artifact is not None:
        img, mask = add_artifact(rng, degraded, strength, artifact)
    replay = np.random.default_rng()
    replay.bit_generator.state = after_scene
    clean = degrade_global(replay, scene, 0.0)  # draws the same noise (times 0): artifact lands alike
    if artifact is not None:
        clean, _ = add_artifact(replay, clean, strength, artifact)
    return img, mask, {"no_artifact": degraded, "no_degradation": clean}


def save_png(img: np.ndarray, path: Path) -> None:
    """An RGB float image in [0, 1] as an 8-bit PNG."""
    Image.fromarray((img * 255).round().astype(np.uint8)).save(path)


def artifact_visibility(img: np.ndarray, no_artifact: np.ndarray) -> float:
    """How visible an image's artifact is: the mean absolute change (RGB in [0, 1], all pixels)
    it makes against its no-artifact twin; 0 without one. The simulated raters' local cue."""
    return float(np.abs(img.astype(np.float64) - no_artifact.astype(np.float64)).mean())


def _standardise(v: np.ndarray) -> np.ndarray:
    return (v - v.mean()) / (v.std() + 1e-12)


def simulate_raters(
    rng: np.random.Generator, latent: dict[str, np.ndarray], n_raters: int,
    noise_sd: dict[str, float], halo: float, signal_sd: float = 0.45,
) -> dict[str, np.ndarray]:
    """Likert 1-5 ratings (raters x images) per dimension from standardised latents.

    Each rater has a bias, a scale and a noise level; a per-(rater, image) halo term
    is shared by all dimensions (raters who like an image like it on every scale).
    """
    n_images = len(next(iter(latent.values())))
    bias = rng.normal(0, 0.35, (n_raters, 1))
    scale = rng.uniform(0.7, 1.3, (n_raters, 1))
    noise_mult = rng.uniform(0.8, 1.2, (n_raters, 1))
    halo_term = rng.normal(0, 1, (n_raters, n_images))
    ratings = {}
    for dim, z in latent.items():
        own = rng.normal(0, 1, (n_raters, n_images))
        noise = noise_sd[dim] * noise_mult * (np.sqrt(halo) * halo_term + np.sqrt(1 - halo) * own)
        cont = 3.0 + bias + scale * (signal_sd * z[None, :] + noise)
        ratings[dim] = np.clip(np.rint(cont), 1, 5).astype(np.int8)
    return ratings


def mos_from_ratings(ratings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-rater z-scores averaged over raters, rescaled to 0-100 (AIGCIQA's MOSz); and SD."""
    r = ratings.astype(float)
    z = (r - r.mean(axis=1, keepdims=True)) / (r.std(axis=1, ddof=1, keepdims=True) + 1e-12)
    rescaled = 100.0 * (z + 3.0) / 6.0
    return np.clip(rescaled.mean(axis=0), 0, 100), rescaled.std(axis=0, ddof=1)


def generate(out_dir: str | os.PathLike, cfg: SyntheticConfig) -> dict:
    """Write the synthetic dataset to `out_dir` (atomically) and return its truth summary."""
    rng = np.random.default_rng(cfg.seed)
    n = cfg.n_generators * cfg.n_prompts * cfg.reps
    colours = list(COLOURS)
    # prompts: object class, colour, challenge (cycled so every challenge occurs)
    prompts = pd.DataFrame({
        "challenge": [CHALLENGES[i % len(CHALLENGES)] for i in range(cfg.n_prompts)],
        "object": [OBJECT_CLASSES[(i * 3) % len(OBJECT_CLASSES)] for i in range(cfg.n_prompts)],
        "colour": [colours[(i * 5 + i // 8) % len(colours)] for i in range(cfg.n_prompts)],
    })
    prompts["category"] = np.where(prompts["object"].isin(["star", "ring"]), "Illustrations", "Objects")
    prompts["prompt"] = "a " + prompts["colour"] + " " + prompts["object"]
    unknown = sorted(set(cfg.excluded_challenges) - set(CHALLENGES))
    if unknown:
        raise InputError(f"synthetic.excluded_challenges: {unknown} are not challenges of the simulator: "
                         f"{list(CHALLENGES)}")
    excluded = prompts["challenge"].isin(cfg.excluded_challenges).to_numpy()

    idx = np.arange(n)
    per_model = cfg.n_prompts * cfg.reps
    model = idx // per_model
    prompt = (idx % per_model) // cfg.reps
    model_quality = np.linspace(0.25, 0.75, cfg.n_generators)[rng.permutation(cfg.n_generators)]
    badness = np.clip(rng.beta(2, 2, n) * 0.8 + (1 - model_quality[model]) * 0.4 - 0.2, 0, 1)
    has_artifact = rng.random(n) < cfg.artifact_fraction
    strength = np.where(has_artifact, rng.uniform(0.15, 1.0, n), 0.0)
    artifact_kind = rng.integers(0, len(ARTIFACTS), n)
    mismatch = rng.random(n) < cfg.mismatch_fraction
    drawn_object = np.array([
        OBJECT_CLASSES[(OBJECT_CLASSES.index(prompts["object"][p]) + (1 + rng.integers(0, 7)) * m)
                       % len(OBJECT_CLASSES)]
        for p, m in zip(prompt, mismatch)
    ])

    out_dir = Path(out_dir)
    with atomic_path(out_dir, is_dir=True) as tmp:
        img_dir = tmp / "Image" / "allimg"
        mask_dir = tmp / "masks"
        img_dir.mkdir(parents=True)
        mask_dir.mkdir()
        for kind in TWINS:
            (tmp / TWIN_DIR / kind).mkdir(parents=True)
        visibility = np.zeros(n)
        for i in tqdm(range(n), desc="synthetic images", unit="img", mininterval=2):
            kind = ARTIFACTS[artifact_kind[i]] if has_artifact[i] else None
            img, mask, twins = render_with_twins(np.random.default_rng([cfg.seed, i]), cfg.image_size, drawn_object[i],
                                                 prompts["colour"][prompt[i]], badness[i], strength[i], kind)
            visibility[i] = artifact_visibility(img, twins["no_artifact"])
            save_png(img, img_dir / f"{i}.png")
            Image.fromarray((mask * 255).astype(np.uint8)).save(mask_dir / f"{i}.png")
            for twin, pixels in twins.items():
                save_png(pixels, tmp / TWIN_DIR / twin / f"{i}.png")
        global_q = _standardise(-badness)
        local_a = _standardise(-visibility)
        latent = {
            "quality": _standardise(global_q + 0.15 * local_a),
            "authenticity": _standardise(
                cfg.w_global * global_q + cfg.w_local * local_a + cfg.excluded_offset * excluded[prompt]
            ),
            "correspondence": _standardise(-2.0 * mismatch + 0.3 * global_q),
        }
        ratings = simulate_raters(rng, latent, cfg.n_raters, cfg.noise_sd, cfg.halo, cfg.signal_sd)
        population = simulate_raters(
            np.random.default_rng(cfg.seed + 10_000), latent, cfg.population_raters,
            cfg.noise_sd, cfg.halo, cfg.signal_sd,
        )
        mos, sd, truth_ceiling, population_mos = {}, {}, {}, {}
        for dim in DIMENSIONS:
            mos[dim], sd[dim] = mos_from_ratings(ratings[dim])
            population_mos[dim], _ = mos_from_ratings(population[dim])
            # The true noise ceiling: correlation of the observed 25-rater MOS with the
            # (practically noise-free) population mean, the best any model can reach.
            truth_ceiling[dim] = float(np.corrcoef(mos[dim], population_mos[dim])[0, 1])
        (tmp / "DATA" / "MOS").mkdir(parents=True)
        (tmp / "DATA" / "STD").mkdir(parents=True)
        for k, dim in enumerate(DIMENSIONS, start=1):
            write_mat(tmp / "DATA" / "MOS" / f"mosz{k}.mat", {"MOSz": mos[dim][:, None]})
            write_mat(tmp / "DATA" / "STD" / f"SD{k}.mat", {"SD": sd[dim][:, None]})
        write_xlsx(tmp / PROMPTS_FILE, prompts[["challenge", "category", "prompt"]])
        long = pd.concat([
            pd.DataFrame({
                "image": np.tile(idx, cfg.n_raters).astype(str),
                "rater": np.repeat(np.arange(cfg.n_raters), n),
                "dimension": dim,
                "rating": ratings[dim].ravel(),
            }) for dim in DIMENSIONS
        ])
        long.to_csv(tmp / "ratings_long.csv", index=False)
        pd.DataFrame({
            "image_id": idx.astype(str),
            "generator": [GENERATORS[m % len(GENERATORS)] for m in model],
            "prompt_index": prompt,
            "object_class": drawn_object,
            "object_class_index": [OBJECT_CLASSES.index(o) for o in drawn_object],
            "prompted_object": prompts["object"].to_numpy()[prompt],
            "mismatch": mismatch,
            "global_badness": badness,
            "artifact": np.where(has_artifact, np.array(ARTIFACTS)[artifact_kind], "none"),
            "artifact_strength": strength,
            "artifact_visibility": visibility,
            **{f"latent_{d}": latent[d] for d in DIMENSIONS},
            **{f"population_{d}": population_mos[d] for d in DIMENSIONS},
            "mask_path": [str(out_dir / "masks" / f"{i}.png") for i in idx],
        }).to_csv(tmp / "truth.csv", index=False)
        summary = {
            "label": "SYNTHETIC data (simulated raters), not human judgments",
            "n_images": n,
            "true_noise_ceiling": truth_ceiling,
            "latent_quality_authenticity_corr": float(np.corrcoef(latent["quality"], latent["authenticity"])[0, 1]),
            "config": asdict(cfg),
        }
        write_json(tmp / "truth.json", summary)
    return summary
