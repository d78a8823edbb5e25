"""The sweeper: no task waits for ever (queued too long ends failed; a lapsed lease is re-driven)."""
