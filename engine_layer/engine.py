"""The engine: image bytes in, a swapped image out, for the four operations of the contract.

`Engine.load` picks the tier from what the model directory holds (or what the caller insists on) and
builds its parts; `Engine.run` counts and orders faces on a reduced decode, decodes, swaps and optionally
restores each face in a crop around it at a bounded working resolution (engine_layer.face_crop), and
encodes the result in the scene's format: only decoding, paste-back and encoding touch the whole frame.
Every fault in what a user sent surfaces as an EngineError subclass with the contract's code; nothing
else escapes `run`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from engine_layer import manifest, quality
from engine_layer.datatypes import DecodedImage, Face, IdentityT, Restorer, Swapper, SwapResult
from engine_layer.decode import CONTENT_TYPES, decode_image, decode_preview, encode_image
from engine_layer.detection.ordering import require_count
from engine_layer.detection.scrfd_insightface import ScrfdDetector
from engine_layer.detection.thresholds import DEFAULT_FACE_RESOLUTION, PREVIEW_SIDE
from engine_layer.errors import EngineError, FaceIndexOutOfRange
from engine_layer.face_crop import FaceCrop
from engine_layer.landmarks import load_landmarker
from engine_layer.manifest import Tier
from engine_layer.operations import REQUIRED_FACES, SCENE_FIELD, Operation
from engine_layer.provenance.labels import ResultLabels, apply_labels
from engine_layer.provenance.xmp import build_xmp, engine_version

logger = logging.getLogger(__name__)

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
    swapper: Swapper[Any]  # whatever identity it reads, it takes back its own
    restorer: Restorer
    face_resolution: int = DEFAULT_FACE_RESOLUTION

    @classmethod
    def load(
        cls,
        model_dir: Path,
        tier: str = "auto",
        require_tier: str | None = None,
        providers: Sequence[str] | None = None,
        face_resolution: int = DEFAULT_FACE_RESOLUTION,
    ) -> Engine:
        """Build the engine for `tier` ("auto" = best present). ModelsMissing when it cannot run."""
        model_dir = Path(model_dir)
        chosen = manifest.choose_tier(model_dir, tier, require_tier)
        if providers is None:
            from engine_layer.providers import onnx_providers

            providers = onnx_providers()
        detector = ScrfdDetector(manifest.SCRFD.path(model_dir), providers)
        swapper, restorer = _TIER_BUILDERS[chosen](model_dir, providers)
        engine = cls(
            tier=chosen,
            detector=detector,
            swapper=swapper,
            restorer=restorer,
            face_resolution=face_resolution,
        )
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
        labels: ResultLabels | None = None,
    ) -> SwapResult:
        """Run one operation. `images` maps the contract's field names to the uploaded bytes.

        Every result carries XMP provenance; `labels` adds the watermark and/or visible label.

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
            _guarded("reading the source face", partial(self._source_identity, *source)) for _, source in plan
        ]
        # One copy of the frame receives the faces; the decoded scene stays as it was uploaded.
        pixels = scene.image.pixels.copy()
        work = _FaceWork(pixels, [target for target, _ in plan], self.face_resolution)
        for index, identity in enumerate(identities):
            swap = partial(_swap_with, self.swapper, identity)
            _guarded("swapping", partial(work.apply, index, swap))
        if enhance:
            for index in range(len(plan)):
                _guarded("restoring", partial(work.apply, index, self.restorer.restore))
        engine = {**self.describe(), "restorer": self.restorer.name if enhance else NO_RESTORER}
        if labels is not None:
            pixels = _guarded("labelling the result", partial(apply_labels, pixels, labels))
        xmp = build_xmp(operation.value, engine, engine_version())
        encoded = _guarded("encoding the result", partial(encode_image, scene.image, pixels, xmp))
        return SwapResult(
            image=encoded,
            content_type=CONTENT_TYPES[scene.image.format],
            format=scene.image.format,
            engine=engine,
            quality=_quality_report(inputs, scene, plan, identities),
        )

    def _source_identity(self, image: NDArray[np.uint8], face: Face) -> object:
        """The identity read from a crop around the source face at working resolution, not the photo."""
        crop = FaceCrop.around(face, image.shape, self.face_resolution)
        return self.swapper.source_identity(crop.cut(image), crop.face_in(face))

    def _input(self, field: str, images: Mapping[str, bytes], expected: int) -> _Input:
        if field not in images:
            raise ValueError(f"images has no {field!r}; the caller must validate required fields first")
        data = images[field]
        # Faces are counted on a reduced decode first: a photo with the wrong faces costs no full decode
        # (and a photo small enough to be its own preview is decoded once).
        preview = decode_preview(data, field, PREVIEW_SIDE)
        found = _guarded(f"face detection in {field}", lambda: self.detector.detect_in_preview(preview))
        faces = require_count(field, found, expected)
        decoded = preview.decoded if preview.decoded is not None else decode_image(data, field)
        return _Input(field, decoded, faces)


class _FaceWork:
    """Stages applied face by face in crops of one frame, pasted into it in place. A face's working pixels
    are kept between its stages (a shrunk crop is not resampled down and up again) until another face's
    paste touches its crop."""

    def __init__(self, frame: NDArray[np.uint8], faces: Sequence[Face], resolution: int) -> None:
        self._frame = frame
        self._faces = list(faces)
        self._crops = [FaceCrop.around(face, frame.shape, resolution) for face in faces]
        self._pixels: dict[int, NDArray[np.uint8]] = {}

    def apply(self, index: int, stage: Callable[[NDArray[np.uint8], Face], NDArray[np.uint8]]) -> None:
        """Run `stage` on face `index`'s crop and paste what it changed into the frame."""
        crop = self._crops[index]
        before = self._pixels.get(index)
        if before is None:
            before = crop.cut(self._frame)
        after = _as_crop(stage(before, crop.face_in(self._faces[index])), before)
        if crop.paste(self._frame, before, after):
            for other, other_crop in enumerate(self._crops):
                if other != index and other_crop.overlaps(crop):
                    self._pixels.pop(other, None)
        self._pixels[index] = after


# (target face in the scene, (source pixels, source face)) for each swap, in order.
_Swap = tuple[Face, tuple[NDArray[np.uint8], Face]]


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


def _quality_report(
    inputs: Mapping[str, _Input], scene: _Input, plan: list[_Swap], identities: list[object]
) -> dict[str, Any] | None:
    """engine_layer.quality's report on the swaps as planned; a fault in measuring never fails a swap."""
    try:
        swaps = []
        for (target, (source_pixels, source)), identity in zip(plan, identities, strict=True):
            source_field, source_index = _located(source, inputs)
            swaps.append(
                quality.SwapInputs(
                    target_index=_located(target, {scene.field: scene})[1],
                    target_image=scene.image.pixels,
                    target=target,
                    source_field=source_field,
                    source_index=source_index,
                    source_image=source_pixels,
                    source=source,
                    identity=identity,
                )
            )
        return quality.report(swaps)
    except Exception:
        logger.exception("quality report failed; the result goes out without it")
        return None


def _located(face: Face, inputs: Mapping[str, _Input]) -> tuple[str, int]:
    """(input field, index in its contract order) of a face the plan took from `inputs`."""
    for field, given in inputs.items():
        for index, candidate in enumerate(given.faces):
            if candidate is face:
                return field, index
    raise LookupError("a planned face is not among the inputs' faces")


def _checked_index(swap_index: Sequence[int] | None, sources: int, targets: int) -> tuple[int, ...]:
    if swap_index is None:
        return tuple(range(targets))
    order = tuple(swap_index)
    if len(order) != targets or any(not isinstance(i, int) or i < 0 or i >= sources for i in order):
        raise FaceIndexOutOfRange("swap_index", sources - 1)
    return order


def _swap_with(
    swapper: Swapper[IdentityT], identity: IdentityT, pixels: NDArray[np.uint8], face: Face
) -> NDArray[np.uint8]:
    return swapper.swap(pixels, face, identity)


def _as_crop(pixels: NDArray[np.uint8], crop: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """A stage must return pixels of the crop's size and dtype whatever it did."""
    if pixels.shape != crop.shape or pixels.dtype != np.uint8:
        raise EngineError(
            f"A stage returned {pixels.shape} {pixels.dtype}, not the crop's {crop.shape} uint8.",
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


def _offline(model_dir: Path, providers: Sequence[str]) -> tuple[Swapper[Any], Restorer]:
    from engine_layer.offline import ClassicRestorer, ClassicSwapper

    return ClassicSwapper(load_landmarker(model_dir)), ClassicRestorer()


def _production(model_dir: Path, providers: Sequence[str]) -> tuple[Swapper[Any], Restorer]:
    from engine_layer.production import GfpganRestorer, InswapperSwapper

    swapper = InswapperSwapper(
        manifest.INSWAPPER.path(model_dir), manifest.ARCFACE.path(model_dir), providers
    )
    return swapper, GfpganRestorer(manifest.GFPGAN.path(model_dir), providers)


_TIER_BUILDERS: dict[Tier, Callable[[Path, Sequence[str]], tuple[Swapper[Any], Restorer]]] = {
    Tier.OFFLINE: _offline,
    Tier.PRODUCTION: _production,
}
