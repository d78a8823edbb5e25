"""Reading a mark from the decoder's scores (engine_layer/provenance/watermark.py): the soft-decision
search finds a word whose one wrong bit the decoder was fairly sure of, within the same 16 tries."""

from __future__ import annotations

import numpy as np

from engine_layer.provenance.watermark import MAX_TRIES, PAYLOAD_BITS, mark_from_scores, payload_bits

MARK_ID = 0x2B3C1


def _scores(certain: float = 6.0) -> np.ndarray:
    """Scores as the decoder gives them for MARK_ID's word read right: far from the 0.5 threshold."""
    return np.where(payload_bits(MARK_ID) > 0.5, 0.5 + certain, 0.5 - certain)


def _nudge(scores: np.ndarray, bit: int, certainty: float, right: bool) -> None:
    is_one = payload_bits(MARK_ID)[bit] > 0.5
    scores[bit] = 0.5 + (certainty if is_one == right else -certainty)


def test_a_word_read_right_is_found_at_the_first_try() -> None:
    reading = mark_from_scores(_scores())
    assert reading.mark_id == MARK_ID and reading.confidence == 1.0 - 1 / 4096


def test_a_wrong_bit_that_is_only_the_sixth_least_certain_is_corrected() -> None:
    """Five right bits near the threshold and one wrong bit a little surer than them: trying every subset
    of the 4 least certain bits (the reader before) never flips it; cheapest-first does, in 16 tries."""
    scores = _scores()
    for bit, certainty in zip((3, 9, 14, 20, 27), (0.2, 0.3, 1.0, 1.1, 1.2), strict=True):
        _nudge(scores, bit, certainty, right=True)
    _nudge(scores, 30, 1.5, right=False)
    reading = mark_from_scores(scores)
    assert reading.found and reading.mark_id == MARK_ID
    assert reading.confidence >= 1.0 - MAX_TRIES / 4096


def test_words_needing_more_than_the_tries_are_not_claimed() -> None:
    """Three confidently wrong bits: no word within the search passes, or one that does is another id
    (what the chance bound in `confidence` is about); never a claim of MARK_ID itself."""
    scores = _scores()
    for bit in (1, 12, 25):
        _nudge(scores, bit, 5.0, right=False)
    reading = mark_from_scores(scores)
    assert reading.mark_id != MARK_ID
    assert len(payload_bits(MARK_ID)) == PAYLOAD_BITS
