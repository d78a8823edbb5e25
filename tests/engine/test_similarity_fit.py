"""The similarity fit behind the blend of a source's proportions: robust to a turned head's jaw, exact on
a plain similarity, and continuous in the points (a hundredth of a pixel never moves it far)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from engine_layer.offline.geometry import INNER_FEATURES, JAW, robust_similarity, similarity
from engine_layer.offline.layout import CANONICAL_68

FACE = CANONICAL_68 * 200.0 + 50.0  # a 200 px face


def moved(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    return points @ matrix[:, :2].T + matrix[:, 2]


def a_similarity(degrees: float, scale: float, shift: tuple[float, float]) -> np.ndarray:
    matrix = cv2.getRotationMatrix2D((0.0, 0.0), degrees, scale)
    matrix[:, 2] = shift
    return matrix


@pytest.mark.parametrize("fit", [similarity, robust_similarity])
def test_a_plain_similarity_is_found_exactly(fit) -> None:
    truth = a_similarity(17.0, 1.3, (12.0, -40.0))
    assert np.allclose(fit(FACE, moved(FACE, truth)), truth, atol=1e-6)


def test_weights_choose_the_points_that_count() -> None:
    truth = a_similarity(-8.0, 0.7, (3.0, 5.0))
    target = moved(FACE, truth)
    target[JAW] += 30.0  # points whose weight is 0 do not move the fit
    weights = np.ones(68)
    weights[JAW] = 0.0
    assert np.allclose(similarity(FACE, target, weights), truth, atol=1e-6)


def test_a_jaw_seen_as_a_silhouette_barely_moves_the_fit() -> None:
    """A turned head's near jaw line is its outline, not a fixed part of the face: half the jaw pulled in
    by a tenth of the face must leave the inner features where the true similarity puts them."""
    truth = a_similarity(5.0, 1.1, (20.0, 10.0))
    target = moved(FACE, truth)
    target[JAW[:8]] += np.array([20.0, 0.0])
    plain = moved(FACE, similarity(FACE, target))[INNER_FEATURES]
    robust = moved(FACE, robust_similarity(FACE, target, start=INNER_FEATURES))[INNER_FEATURES]
    expected = moved(FACE, truth)[INNER_FEATURES]
    plain_error = np.linalg.norm(plain - expected, axis=1).max()
    robust_error = np.linalg.norm(robust - expected, axis=1).max()
    assert plain_error > 2.0  # the test can fail: least squares follows the jaw
    assert robust_error < 0.5, (robust_error, plain_error)


def test_the_fit_never_jumps_for_a_hundredth_of_a_pixel() -> None:
    """LMEDS's sampled subsets can change for a tiny nudge and move every point; this fit may not."""
    rng = np.random.default_rng(7)
    source = FACE + rng.normal(0.0, 3.0, FACE.shape)
    target = moved(FACE, a_similarity(12.0, 0.9, (5.0, 5.0))) + rng.normal(0.0, 3.0, FACE.shape)
    target[JAW[:6]] += np.array([15.0, -4.0])
    before = moved(source, robust_similarity(source, target, start=INNER_FEATURES))
    for seed in range(50):
        nudged = target + np.random.default_rng(seed).uniform(-0.01, 0.01, target.shape)
        after = moved(source, robust_similarity(source, nudged, start=INNER_FEATURES))
        assert np.abs(after - before).max() < 0.05, seed
