"""What ceilingwatch looks like: `make demo`'s timeline and Slack thread, the report's picture."""
