"""The use cases: a run, a delivery, a change checked, a digest, a click; adapters as ports."""
