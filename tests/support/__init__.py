"""What the suites share: builders, in-memory fakes, the integration harness, fault endpoints."""
