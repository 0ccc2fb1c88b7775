"""The Ultravox simulator: its concurrency API on loopback, played from scenarios and traffic."""
