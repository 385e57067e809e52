"""Every attribution method, one module each: importing this package imports every module
in its folder, and each registers its class with `@register_method`. A new method is one
new file here (docs/explanations.md: adding a method)."""

import importlib
import pkgutil

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")
