"""`masks.sampled`: the pixels a colour model is fitted on (skin chromaticity, skin Lab, chroma spreads)."""

from __future__ import annotations

import numpy as np

from engine_layer.offline.masks import sampled


def test_a_large_mask_is_sampled_evenly_and_the_same_every_time() -> None:
    rows, cols = np.mgrid[0:400, 0:300]
    values = np.dstack([rows, cols]).astype(np.float32)
    where = np.ones((400, 300), dtype=bool)
    where[:, :100] = False  # only the right two thirds count
    picked = sampled(values, where, limit=5000)
    assert len(picked) <= 5000 and len(picked) >= 4000
    assert picked.dtype == np.float64 and picked.shape[1] == 2
    assert (picked[:, 1] >= 100).all()  # never a pixel outside the mask
    # Spread over the whole mask, top to bottom (not its first 5,000 pixels): means near the mask's own.
    assert abs(picked[:, 0].mean() - 199.5) < 2.0  # rows: all of them
    assert abs(picked[:, 1].mean() - 199.5) < 5.0  # columns: a raster stride aliases them a little
    assert np.array_equal(picked, sampled(values, where, limit=5000))


def test_a_small_mask_is_taken_whole() -> None:
    values = np.random.default_rng(0).random((50, 40, 3)).astype(np.float32)
    where = np.zeros((50, 40), dtype=bool)
    where[10:20, 5:15] = True
    picked = sampled(values, where)
    assert np.array_equal(picked, values[where].astype(np.float64))
