"""Loopback fakes for integration tests and benchmarks (never touch the network)."""
