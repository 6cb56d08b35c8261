"""ecbuild: build ECInstruct-style e-commerce instruction datasets from the original sources."""

__version__ = "0.1.0"
