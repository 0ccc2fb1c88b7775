"""The pure core: concurrency, thresholds, the alert lifecycle, messages; no I/O, no clock."""
