"""Every architecture family, one module each: importing this package imports every module
in its folder, and each registers its family with `@register_family` (and may register
architectures of it). A new family is one new file here (docs/backbones.md)."""

import importlib
import pkgutil

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")
