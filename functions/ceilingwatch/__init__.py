"""ceilingwatch: capacity alerting for Ultravox call concurrency."""

# The one place the version is written: pyproject reads it, the template and CHANGELOG match it.
__version__ = "0.1.0"
