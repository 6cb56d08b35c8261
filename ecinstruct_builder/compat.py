"""Standard-library modules newer than the oldest Python ecbuild supports (3.10), imported from one place."""

import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # tomllib is new in 3.11; tomli is the same parser published separately (a 3.10-only dependency)
    import tomli as tomllib

__all__ = ["tomllib"]
