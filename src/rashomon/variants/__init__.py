"""Variants of one architecture on its shared frozen backbone: heads x channel masks,
and the SBS pruning that makes the masks."""
