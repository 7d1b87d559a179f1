"""Architecture files: importing this package runs every module's @register_model.

Adding an architecture is one file here with one decorated factory; nothing else is edited."""

import importlib
import pkgutil

for _info in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_info.name}")
