"""The swap engine: pixels in, pixels out.

No AWS, no HTTP, no environment look-ups: callers hand it image bytes and a model directory.
"""
