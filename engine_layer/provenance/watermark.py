"""The invisible watermark: a 32-bit mark id hidden in the pixels with RivaGAN (invisible-watermark's
ONNX encoder/decoder, run on onnxruntime). This module holds the payload and reading (the API's verify
and the worker); writing is mark_encoder.py (worker only: it runs a cheaper rebuild of the encoder).

Why RivaGAN, and run this way (figures: benchmarks/provenance_bench.py, README "Provenance"):
- It survives what a shared image goes through: JPEG q75, a 50% resize and a 10% crop, where
  invisible-watermark's dwtDct / dwtDctSvd lose the bits under resize and crop (their bits sit at fixed
  4x4 block positions) and trustmark needs torch and downloads its weights from Adobe's server at run time.
- invisible-watermark's Python wrapper imports torch for two array conversions, and the worker carries no
  torch (pyproject overrides it away). The two ONNX files ship inside the wheel; they are found through the
  package's import spec without executing its __init__, and fed with numpy.
- The network's cost grows with pixels, so the mark is computed on a copy whose long side is WORK_SIDE and
  the difference it makes is scaled up and added to the full frame. Reading shrinks to the same side, so a
  resized or cropped copy is read at nearly the scale it was written. Pillow makes the working copy (the
  API function reads marks and has no OpenCV).
- The 32 bits are a 20-bit mark id and a 12-bit check word. Reading is a soft-decision (Chase) search:
  the word as read, then with sets of its SEARCH_WINDOW least certain bits flipped, cheapest first (the
  summed certainty of the flipped bits), MAX_TRIES words in all; the first whose check matches is the
  mark. A photo never marked passes with a chance of about MAX_TRIES / 2**12 (0.4%), which is what
  `confidence` reports; POST /api/verify then needs the mark id to exist on a live task as well. Ordered
  by cost, the same 16 tries recover marks whose one wrong bit is the 6th least certain, which trying
  every subset of the 4 least certain bits missed (3% of marks as written, README "Provenance").
- STRENGTH 1.5 scales the network's difference: PSNR 39 dB instead of 43, and zero or one wrong bit after
  each of the three attacks on our results, where 1.0 left up to two.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

PAYLOAD_BITS = 32  # what RivaGAN carries
MARK_ID_BITS = 20
CHECK_BITS = PAYLOAD_BITS - MARK_ID_BITS
SEARCH_WINDOW = 8
MAX_TRIES = 16
WORK_SIDE = 256
STRENGTH = 1.5
_WHEEL_PACKAGE = "imwatermark"


@dataclass(frozen=True)
class MarkReading:
    found: bool
    mark_id: int | None
    # 1 - the chance that an unmarked image passes the check as this reading did; 0 when nothing passed.
    confidence: float


def _check(mark_id: int) -> int:
    digest = hashlib.sha256(b"faceswap-mark" + mark_id.to_bytes(4, "big")).digest()
    return int.from_bytes(digest[:2], "big") >> (16 - CHECK_BITS)


def payload_word(mark_id: int) -> int:
    """The 32 bits written for `mark_id`: the id, then its check word."""
    if not 0 <= mark_id < 1 << MARK_ID_BITS:
        raise ValueError(f"a mark id has {MARK_ID_BITS} bits")
    return (mark_id << CHECK_BITS) | _check(mark_id)


def _valid_id(word: int) -> int | None:
    mark_id = word >> CHECK_BITS
    return mark_id if word & ((1 << CHECK_BITS) - 1) == _check(mark_id) else None


def model_dir() -> Path:
    spec = importlib.util.find_spec(_WHEEL_PACKAGE)  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("invisible-watermark is not installed; its RivaGAN ONNX files are needed")
    return Path(next(iter(spec.submodule_search_locations)))


@lru_cache(maxsize=1)
def _decoder() -> ort.InferenceSession:
    available = ort.get_available_providers()
    providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]
    return ort.InferenceSession(str(model_dir() / "rivagan_decoder.onnx"), providers=providers)


def payload_bits(mark_id: int) -> np.ndarray:
    """The 32 bits written for `mark_id`, as the network takes them (float 0/1, most significant first)."""
    word = payload_word(mark_id)
    return np.array([(word >> (PAYLOAD_BITS - 1 - i)) & 1 for i in range(PAYLOAD_BITS)], dtype=np.float32)


def _from_bits(bits: np.ndarray) -> int:
    return int("".join("1" if b else "0" for b in bits), 2)


def working_copy(pixels: np.ndarray) -> np.ndarray:
    height, width = pixels.shape[:2]
    scale = min(1.0, WORK_SIDE / max(height, width))
    if scale >= 1.0:
        return pixels
    size = (max(8, round(width * scale)), max(8, round(height * scale)))
    # Box filter: OpenCV's INTER_AREA for a reduction (channel order does not matter to it).
    return np.asarray(Image.fromarray(np.ascontiguousarray(pixels), "RGB").resize(size, Image.Resampling.BOX))


def as_frame(pixels: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 -> the network's (1, 3, 1, H, W) float in -1..1 (one-frame video)."""
    return (pixels.astype(np.float32) / 127.5 - 1.0).transpose(2, 0, 1)[None, :, None]


def bit_scores(pixels: np.ndarray) -> np.ndarray:
    """The decoder's 32 scores for BGR `pixels`, each the chance (0..1) that its bit is 1."""
    scores: np.ndarray = _decoder().run(None, {"frame": as_frame(working_copy(pixels))})[0][0]
    return scores


def read_mark(pixels: np.ndarray) -> MarkReading:
    """The mark in BGR `pixels`, if a word RivaGAN reads there (or one with some of its least certain
    bits flipped, cheapest first) passes the check."""
    return mark_from_scores(bit_scores(pixels))


def mark_from_scores(scores: np.ndarray) -> MarkReading:
    """The mark the decoder's 32 scores (`bit_scores`) spell, by the search in the module's docstring."""
    word = _from_bits(scores > 0.5)
    for tries, flipped in enumerate(_flip_sets(scores), start=1):
        candidate = word
        for bit in flipped:
            candidate ^= 1 << (PAYLOAD_BITS - 1 - bit)
        mark_id = _valid_id(candidate)
        if mark_id is not None:
            return MarkReading(found=True, mark_id=mark_id, confidence=1.0 - tries / (1 << CHECK_BITS))
    return MarkReading(found=False, mark_id=None, confidence=0.0)


def _flip_sets(scores: np.ndarray) -> list[tuple[int, ...]]:
    """The MAX_TRIES sets of bit positions to flip, first the empty one, in order of how certain the
    decoder was of the bits they flip (summed distance of their scores from the threshold)."""
    certainty = np.abs(scores - 0.5)
    window = [int(bit) for bit in np.argsort(certainty)[:SEARCH_WINDOW]]
    subsets = [s for size in range(SEARCH_WINDOW + 1) for s in itertools.combinations(window, size)]
    subsets.sort(key=lambda flipped: float(certainty[list(flipped)].sum()))  # stable: fewer flips first
    return subsets[:MAX_TRIES]
