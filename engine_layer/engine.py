"""The engine: image bytes in, a swapped image out, for the four operations of the contract.

`Engine.load` picks the tier from what the model directory holds (or what the caller insists on) and
builds its parts; `Engine.run` decodes, counts and orders faces, swaps and optionally restores them, and
encodes the result in the scene's format. Every fault in what a user sent surfaces as an EngineError
subclass with the contract's code; nothing else escapes `run`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from engine_layer import manifest
from engine_layer.datatypes import DecodedImage, Face, Restorer, Swapper, SwapResult
from engine_layer.decode import CONTENT_TYPES, decode_image, encode_image
from engine_layer.detection import ScrfdDetector
from engine_layer.errors import EngineError, FaceIndexOutOfRange
from engine_layer.faces import require_count
from engine_layer.landmarks import load_landmarker
from engine_layer.manifest import Tier
from engine_layer.operations import REQUIRED_FACES, SCENE_FIELD, Operation

logger = logging.getLogger(__name__)

DETECTOR_FILE = "scrfd.onnx"  # both tiers count faces with the model the API's pre-check uses
LANDMARK_FILE = "face_landmark.tflite"  # MediaPipe face mesh: landmarks.DEFAULT_LANDMARKER
INSWAPPER_FILE = "inswapper_128.onnx"
ARCFACE_FILE = "buffalo_l/w600k_r50.onnx"
GFPGAN_FILE = "gfpgan_1.4.onnx"
NO_RESTORER = "none"

T = TypeVar("T")


@dataclass(frozen=True)
class _Input:
    field: str
    image: DecodedImage
    faces: list[Face]


@dataclass
class Engine:
    tier: Tier
    detector: ScrfdDetector
    swapper: Swapper
    restorer: Restorer

    @classmethod
    def load(
        cls,
        model_dir: Path,
        tier: str = "auto",
        require_tier: str | None = None,
        providers: Sequence[str] | None = None,
    ) -> Engine:
        """Build the engine for `tier` ("auto" = best present). ModelsMissing when it cannot run."""
        model_dir = Path(model_dir)
        chosen = manifest.choose_tier(model_dir, tier, require_tier)
        if providers is None:
            from engine_layer.providers import onnx_providers

            providers = onnx_providers()
        detector = ScrfdDetector(model_dir / DETECTOR_FILE, providers)
        swapper, restorer = _TIER_BUILDERS[chosen](model_dir, providers)
        engine = cls(tier=chosen, detector=detector, swapper=swapper, restorer=restorer)
        logger.info("engine loaded from %s: %s", model_dir, engine.describe())
        return engine

    def describe(self) -> dict[str, str]:
        return {
            "tier": self.tier.value,
            "detector": self.detector.name,
            "swapper": self.swapper.name,
            "restorer": self.restorer.name,
        }

    def detect(self, field: str, decoded: DecodedImage) -> list[Face]:
        """Foreground faces of one decoded input, in contract order (left to right)."""
        return _guarded(f"face detection in {field}", lambda: self.detector.detect(decoded.pixels))

    def run(
        self,
        operation: Operation | str,
        images: Mapping[str, bytes],
        swap_index: tuple[int, int] | None = None,
        enhance: bool = False,
    ) -> SwapResult:
        """Run one operation. `images` maps the contract's field names to the uploaded bytes.

        `swap_index` (faceswap2 only, 0-based): entry i names the source face that lands on target face i.
        """
        operation = Operation(operation)
        inputs = {
            field: self._input(field, images, count) for field, count in REQUIRED_FACES[operation].items()
        }
        scene = inputs[SCENE_FIELD[operation]]
        plan = _plan(operation, inputs, swap_index)
        # Every identity is read from the untouched inputs before any swap, so swapfacesameimage's second
        # swap does not read a face the first one already replaced.
        identities = [
            _guarded("reading the source face", lambda src=source: self.swapper.source_identity(*src))
            for _, source in plan
        ]
        pixels = scene.image.pixels
        for (target, _), identity in zip(plan, identities, strict=True):
            pixels = _guarded("swapping", lambda p=pixels, t=target, i=identity: self.swapper.swap(p, t, i))
        if enhance:
            for target, _ in plan:
                pixels = _guarded("restoring", lambda p=pixels, t=target: self.restorer.restore(p, t))
        pixels = _as_scene(pixels, scene.image.pixels)
        encoded = _guarded("encoding the result", lambda: encode_image(scene.image, pixels))
        return SwapResult(
            image=encoded,
            content_type=CONTENT_TYPES[scene.image.format],
            format=scene.image.format,
            engine={**self.describe(), "restorer": self.restorer.name if enhance else NO_RESTORER},
        )

    def _input(self, field: str, images: Mapping[str, bytes], expected: int) -> _Input:
        if field not in images:
            raise ValueError(f"images has no {field!r}; the caller must validate required fields first")
        decoded = decode_image(images[field], field)
        return _Input(field, decoded, require_count(field, self.detect(field, decoded), expected))


# (target face in the scene, (source pixels, source face)) for each swap, in order.
_Swap = tuple[Face, tuple[np.ndarray, Face]]


def _plan(
    operation: Operation, inputs: Mapping[str, _Input], swap_index: tuple[int, int] | None
) -> list[_Swap]:
    if operation is Operation.BASICSWAP:
        source, target = inputs["srcimage"], inputs["targetimage"]
        return [(target.faces[0], (source.image.pixels, source.faces[0]))]
    if operation is Operation.FACESWAP2:
        source, target = inputs["srcimage"], inputs["targetimage"]
        order = _checked_index(swap_index, len(source.faces), len(target.faces))
        return [(face, (source.image.pixels, source.faces[order[i]])) for i, face in enumerate(target.faces)]
    if operation is Operation.SWAP1FROM2:
        scene = inputs["srcimage"]
        donors = (inputs["targetimage1"], inputs["targetimage2"])
        return [
            (face, (donor.image.pixels, donor.faces[0]))
            for face, donor in zip(scene.faces, donors, strict=True)
        ]
    scene = inputs["srcimage"]  # swapfacesameimage: the two faces trade identities
    left, right = scene.faces
    return [(left, (scene.image.pixels, right)), (right, (scene.image.pixels, left))]


def _checked_index(swap_index: Sequence[int] | None, sources: int, targets: int) -> tuple[int, ...]:
    if swap_index is None:
        return tuple(range(targets))
    order = tuple(swap_index)
    if len(order) != targets or any(not isinstance(i, int) or i < 0 or i >= sources for i in order):
        raise FaceIndexOutOfRange("swap_index", sources - 1)
    return order


def _as_scene(pixels: np.ndarray, scene: np.ndarray) -> np.ndarray:
    """The result must be the scene's size and dtype whatever a stage returned."""
    if pixels.shape != scene.shape or pixels.dtype != np.uint8:
        raise EngineError(
            f"A stage returned {pixels.shape} {pixels.dtype}, not the scene's {scene.shape} uint8.",
            stage="result",
        )
    return pixels


def _guarded(stage: str, work: Callable[[], T]) -> T:
    """Run one stage; a typed EngineError passes through, anything else becomes a logged server_error.

    Bad input has its own codes (raised on purpose by decode, detection and the swappers); what is left
    is a fault of ours, and a worker must report it on the task instead of dying.
    """
    try:
        return work()
    except EngineError:
        raise
    except Exception as exc:
        logger.exception("engine stage failed: %s", stage)
        raise EngineError(f"The engine failed while {stage}.", stage=stage) from exc


def _offline(model_dir: Path, providers: Sequence[str]) -> tuple[Swapper, Restorer]:
    from engine_layer.offline import ClassicRestorer, ClassicSwapper

    return ClassicSwapper(load_landmarker(model_dir)), ClassicRestorer()


def _production(model_dir: Path, providers: Sequence[str]) -> tuple[Swapper, Restorer]:
    from engine_layer.production import GfpganRestorer, InswapperSwapper

    swapper = InswapperSwapper(model_dir / INSWAPPER_FILE, model_dir / ARCFACE_FILE, providers)
    return swapper, GfpganRestorer(model_dir / GFPGAN_FILE, providers)


_TIER_BUILDERS: dict[Tier, Callable[[Path, Sequence[str]], tuple[Swapper, Restorer]]] = {
    Tier.OFFLINE: _offline,
    Tier.PRODUCTION: _production,
}
