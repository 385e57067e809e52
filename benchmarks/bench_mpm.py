"""Benchmark MPM's three paths on the same masked images, in one run: per-variant full
passes (the study's path: every variant runs the whole network on every masked image),
one shared stem pass for all variants, and the shared stem with exact incremental
inference (the original image's activations, computed once per image and shared by all
its masks, are computed before the clock starts, as they are for the other paths' original
score). Random-weight backbones (nothing is downloaded), random heads, a fixed subset
of mask centres. Writes benchmarks/results/bench_mpm.json (not a DVC metric):

    python benchmarks/bench_mpm.py                                   # the default set below
    python benchmarks/bench_mpm.py --arch vgg16 --size 224 --variants 10 --centres 8
    python benchmarks/bench_mpm.py --arch resnet152 --variants 60 --out benchmarks/results/bench_mpm_60.json
"""

from __future__ import annotations

import argparse
import platform
import time

import torch

from rashomon.attribution.incremental import Incremental, Stats, masked_state
from rashomon.attribution.perturbations import square_masks
from rashomon.backbones import create_backbone
from rashomon.heads.fitted import FittedHead
from rashomon.heads.head import make_head
from rashomon.core.io import write_json
from rashomon.variants.variant_set import VariantSet

# (architecture, image size, centres): 64 centres at 64 px, where a masked batch is cheap and a
# handful of masks would not show the per-batch cost of gathering windows; 8 at 224 px
DEFAULT_RUNS = [("resnet_small", 64, 64), ("vgg_small", 64, 64), ("densenet_small", 64, 64),
                ("efficientnet_small", 64, 64), ("vgg16", 224, 8), ("resnet152", 224, 8)]


def random_variants(name: str, k: int, size: int, seed: int = 0) -> VariantSet:
    torch.manual_seed(seed)
    backbone = create_backbone(name)
    with torch.no_grad():
        dim = backbone(torch.zeros(1, 3, size, size)).shape[1]
    heads = [FittedHead(make_head(dim, backbone.spec.head, 0.5).eval(), backbone.spec.head, 0.5, 50.0, 10.0, 0, 0.0)
             for _ in range(k)]
    return VariantSet(backbone, heads)


def fixed_centres(size: int, n: int, seed: int = 0) -> torch.Tensor:
    """n centres drawn once (the same for every path and mask size)."""
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, size, (n, 2), generator=g)


def timed(fn) -> tuple[float, torch.Tensor]:
    start = time.perf_counter()
    with torch.no_grad():
        out = fn()
    return time.perf_counter() - start, out


def bench(name: str, size: int, k: int, n_centres: int, sides: list[int], full_above: float) -> dict:
    variants = random_variants(name, k, size)
    image = torch.randn(3, size, size)
    centres = fixed_centres(size, n_centres)
    batches = {s: torch.where(square_masks(centres, s, size, size).unsqueeze(1), torch.zeros(()), image[None])
               for s in sides}
    singles = [variants.select(j) for j in range(k)]
    rows = {}
    for side in sides:
        original = variants(image[None])
        t_per, per = timed(lambda: torch.cat([v(batches[side]) for v in singles], 1))
        effect = float((original - per).abs().max())   # the scale of the map (random weights can blow up)
        t_shared, shared = timed(lambda: variants(batches[side]))
        engine = Incremental(full_above)
        with torch.no_grad():   # the original image's activations: once per image, amortised over all its masks
            engine.stem(variants.backbone, masked_state(image, centres[:1], side, 0.0))
        engine.stats = Stats()

        def incremental():
            outs = engine.stem(variants.backbone, masked_state(image, centres, side, 0.0))
            return variants.scores_from_stem(tuple(o.full() for o in outs))

        t_inc, inc = timed(incremental)
        t_plain, _ = timed(lambda: variants.backbone(batches[side]))
        exact = Incremental(full_above=1.0)     # windows until they cover the map: what the masks can reach
        with torch.no_grad():
            exact.stem(variants.backbone, masked_state(image, centres, side, 0.0))
        rows[str(side)] = {
            "per_variant_s": t_per, "shared_stem_s": t_shared, "incremental_s": t_inc,
            "speedup_shared_vs_per_variant": t_per / t_shared, "speedup_incremental_vs_per_variant": t_per / t_inc,
            "speedup_incremental_vs_shared": t_shared / t_inc,
            "conv_macs_skipped": engine.stats.skipped, "full_from": engine.stats.first_fallback,
            "layers_switched_to_full_maps": engine.stats.switched,
            "conv_macs_outside_changed_regions": exact.stats.skipped,   # the most exact inference can skip
            "shared_masked_images_per_s": n_centres / t_shared,
            "plain_backbone_images_per_s": n_centres / t_plain,
            "max_abs_diff_incremental_vs_per_variant": float((inc - per).abs().max()),
            "max_abs_diff_shared_vs_per_variant": float((shared - per).abs().max()),
            "max_masking_effect": effect,
        }
        print(name, size, side, {k2: round(v, 3) if isinstance(v, float) else v for k2, v in rows[str(side)].items()},
              flush=True)
    total = {p: sum(r[f"{p}_s"] for r in rows.values()) for p in ("per_variant", "shared_stem", "incremental")}
    return {"arch": name, "image_size": size, "variants": k, "centres": n_centres, "mask_sides": sides,
            "full_above": full_above,
            "by_mask_side": rows, **{f"total_{p}_s": t for p, t in total.items()},
            "speedup_shared_vs_per_variant": total["per_variant"] / total["shared_stem"],
            "speedup_incremental_vs_per_variant": total["per_variant"] / total["incremental"],
            "speedup_incremental_vs_shared": total["shared_stem"] / total["incremental"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", action="append", help="architecture (repeat); default: the set in DEFAULT_RUNS")
    ap.add_argument("--size", type=int, help="image size for --arch (default: 64 small, 224 study)")
    ap.add_argument("--variants", type=int, default=10)
    ap.add_argument("--centres", type=int, default=8, help="mask centres for --arch")
    ap.add_argument("--full-above", type=float, default=0.5,
                    help="incremental layers run on full maps once the rectangles cover more than this share")
    ap.add_argument("--out", default="benchmarks/results/bench_mpm.json")
    args = ap.parse_args()
    runs = DEFAULT_RUNS if not args.arch else [(a, args.size or (64 if a.endswith("_small") else 224), args.centres)
                                                for a in args.arch]
    results = []
    for name, size, centres in runs:
        sides = [3, 17, 65] if size >= 224 else [1, 5, 19]   # the study's sides, scaled at 64 px as explain does
        results.append(bench(name, size, args.variants, centres, sides, args.full_above))
    write_json(args.out, {"machine": f"{platform.processor() or platform.machine()}, "
                                     f"{torch.get_num_threads()} torch threads, "
                                     f"{'CUDA' if torch.cuda.is_available() else 'CPU'} (this benchmark runs on CPU)",
                          "torch": torch.__version__, "runs": results})


if __name__ == "__main__":
    main()
