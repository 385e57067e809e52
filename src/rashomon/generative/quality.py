"""Reconstruction quality of a generator on held-out images (torchmetrics' PSNR and SSIM)."""

from __future__ import annotations

import torch
from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure

from rashomon.core.device import CPU


@torch.no_grad()
def reconstruction_quality(generator, rgb: torch.Tensor, batch_size: int = 256,
                           device: torch.device = CPU) -> dict[str, torch.Tensor]:
    """Per-image PSNR (dB) and SSIM of decode(encode(x)) against x, for RGB in [0, 1]; the
    generator runs on `device`, the scores are computed on the CPU."""
    generator.to(device)
    recon = torch.cat([generator.decode(generator.encode(rgb[i:i + batch_size].to(device))).cpu()
                       for i in range(0, len(rgb), batch_size)]).clamp(0, 1)
    psnr = peak_signal_noise_ratio(recon, rgb, data_range=1.0, reduction="none", dim=(1, 2, 3))
    ssim = structural_similarity_index_measure(recon, rgb, data_range=1.0, reduction="none")
    return {"psnr": psnr, "ssim": ssim, "reconstruction": recon}
