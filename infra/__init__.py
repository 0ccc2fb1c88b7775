"""Runs ceilingwatch without an AWS account: local stack, stand-ins, simulator, demo, packaging."""
