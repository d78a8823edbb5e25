"""Benchmarks that print figures (`make bench`); speed goals live here, not in timed tests."""
