"""Benchmarks in the README-only configuration: as if ``libharfbuzz-subset0`` (an
optional system package) were not installed, for deckpress and for the
``weasyprint`` command pandoc runs alike.

Put this folder on ``PYTHONPATH``: Python imports this module at start-up, and it
hides HarfBuzz's subsetter from WeasyPrint as its FFI module is imported (nothing
else changes; WeasyPrint then subsets fonts with fontTools, as on such a machine).
"""

import importlib.abc
import importlib.util
import sys

_MODULE = "weasyprint.text.ffi"


class _Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != _MODULE:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            module.harfbuzz_subset = None

        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, _Hide())
