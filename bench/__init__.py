"""Benchmarks of the quality bars in PRODUCT.md: run `python -m bench.run` (or `make bench`)."""
