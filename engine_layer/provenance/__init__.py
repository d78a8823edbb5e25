"""Provenance labels the engine writes into every result: XMP metadata, an invisible watermark, and (per
key) a visible corner label. Pure pixels-and-bytes code; signing (C2PA) lives outside the engine."""
