"""The offline tier's face swap: no neural swapper, only geometry and colour science on 68 landmarks.

1. The source face's texture is warped triangle by triangle (Delaunay over the 68 landmarks plus a
   forehead arc) onto the target's jaw and forehead outline, with eyes, brows, nose and mouth placed
   in the source's own proportions (fitted to the target's pose), so the result keeps the source's
   identity and not only its skin. A source turned the other way from the target is mirrored first.
2. It takes the scene's light and skin tone: the scene's shading under the source's detail
   (lighting.py), so a source lit from one side or under a colour cast gives the same face; lips take
   the scene's lip colour and photographic grain is added where it is smoother than the scene.
3. Occluders on either face (occlusion.py) are kept out: the source's are never transferred (the
   target's own skin shading shows there), the target's stay in front, whole.
4. It is alpha-blended through a soft mask that stays inside the target's face outline, drops
   forehead pixels that are hair or background in either photo (never the brows: no double brows),
   and is zero at its edge, so every pixel outside the face keeps its value. No Poisson blending:
   nothing around the face can wash it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from engine_layer.datatypes import Face
from engine_layer.errors import EngineError
from engine_layer.offline import colour, lighting, masks, occlusion
from engine_layer.offline.blend import two_band
from engine_layer.offline.geometry import blend_proportions, extended_landmarks, face_size, mirror, yaw
from engine_layer.offline.warp import Region, per_four_channels, triangulate, warp_piecewise_affine

# How far the target's eyes, nose and mouth move to the source's layout (0 = keep target's, 1 = source's).
PROPORTION_WEIGHT = 1.0
# Relative to face size: margin of the crop kept from the source, inset and feather of the blend mask.
_CROP_MARGIN = 0.25
_MASK_INSET = 0.04
# Mirror the source only when that brings its head turn nearer the target's by more than this.
_MIRROR_MARGIN = 0.04


class Landmarker(Protocol):
    def landmarks(self, image: np.ndarray, face: Face) -> np.ndarray: ...


@dataclass(frozen=True)
class LandmarkFace:
    """A source face ready to be worn: its crop (BGR, forehead gate, occlusion) and its 83 points.

    `occluded_share`: the fraction (0..1) of the source's visible skin area (face outline less eyes,
    brows, mouth and nostrils) treated as occluded, i.e. not skin by colour: a hand, a microphone,
    glasses frames, hair. Those pixels are never transferred: the target's skin shading shows there.
    `side_lighting`: how one-sided the source's light is, |log| of the ratio of mean lightness on the
    two halves of the face either side of the nose line (0 = even; evenly lit portraits 0.04-0.1, a
    window-lit one about 0.3, a hard half-face shadow 0.4-0.7). The swap takes the target's light
    whatever this is.
    """

    pixels: np.ndarray  # h x w x 5 float32: B, G, R (0..255), forehead skin gate, occluded (0..1 each)
    points: np.ndarray  # (83, 2) float32: 68 landmarks + forehead arc, crop coordinates
    occluded_share: float = 0.0
    side_lighting: float = 0.0


class ClassicSwapper:
    name = "classic-landmark-warp"

    def __init__(self, landmarker: Landmarker) -> None:
        self._landmarker = landmarker

    def source_identity(self, image: np.ndarray, face: Face) -> LandmarkFace:
        points = extended_landmarks(self._landmarks(image, face))
        size = face_size(points[:68])
        region = Region.around(points, size * _CROP_MARGIN, image.shape)
        if region.empty:
            raise EngineError("The source face lies outside its image.")
        rows, cols = region.slices
        crop = image[rows, cols]
        local = points - region.origin
        lab = colour.to_lab(crop)
        zero = np.zeros(2, dtype=np.float32)
        gate = masks.forehead_gate(lab, local, zero)
        shape = crop.shape[:2]
        search = masks.occlusion_search(shape, local, zero)
        occluded = occlusion.not_face(crop, masks.lower_face_mask(shape, local, zero), search, size)
        skin = masks.skin_mask(shape, local, zero) * (1.0 - occluded) * (gate > 0.5)
        # Occluders are dropped whole, with a soft edge: none of their rim may leak into the face.
        hidden = occlusion.in_front(occluded, max(1, round(size * _MASK_INSET)))
        pixels = np.dstack([crop.astype(np.float32), gate, hidden]).astype(np.float32)
        return LandmarkFace(
            pixels=pixels,
            points=local.astype(np.float32),
            occluded_share=occlusion.share(occluded, search),
            side_lighting=lighting.side_lighting(lab, skin, local, zero),
        )

    def swap(self, scene: np.ndarray, target: Face, source: LandmarkFace) -> np.ndarray:
        target68 = self._landmarks(scene, target)
        size = face_size(target68)
        region = Region.around(extended_landmarks(target68), size * 0.05, scene.shape)
        if region.empty:
            return scene.copy()
        destination = extended_landmarks(blend_proportions(target68, source.points[:68], PROPORTION_WEIGHT))
        outline = extended_landmarks(target68)  # the blend stays inside the target's own outline

        pixels, points = _facing_like(source, target68)
        pixels, points = _scaled_to(pixels, points, size)
        warped, coverage = warp_piecewise_affine(
            pixels, points, destination, triangulate(destination), region
        )
        rows, cols = region.slices
        scene_patch = scene[rows, cols]
        scene_lab = colour.to_lab(scene_patch)
        shape = (region.height, region.width)
        origin = region.origin

        source_gate = np.clip(warped[..., 3], 0.0, 1.0)
        source_hidden = np.clip(warped[..., 4], 0.0, 1.0)
        scene_gate = masks.forehead_gate(scene_lab, outline, origin)
        search = masks.occlusion_search(shape, outline, origin)
        reference = masks.lower_face_mask(shape, outline, origin)
        outline_area = masks.fill_polygon(shape, masks.outline_points(outline), origin)
        scene_occluded = occlusion.not_face(scene_patch, reference, search, size, within=outline_area)

        inset = max(1, round(size * _MASK_INSET))
        face = outline_area * coverage
        # What is in front of the target's face stays in front, whole.
        mask = masks.feathered_inside(face, inset) * scene_gate * source_gate
        mask *= 1.0 - occlusion.in_front(scene_occluded, inset)

        source_skin = masks.skin_mask(shape, destination, origin) * coverage
        source_skin *= (source_gate > 0.5) & (scene_gate > 0.5) & (source_hidden < 0.5)
        scene_skin = masks.skin_mask(shape, outline, origin) * (1.0 - scene_occluded) * (scene_gate > 0.5)
        # Where the source was occluded its detail is dropped: the scene's own skin shading shows.
        matched = lighting.relight(
            colour.to_lab(warped[..., :3]),
            scene_lab,
            source_skin,
            scene_skin,
            size,
            hidden=source_hidden,
            side=lighting.face_halves(shape, destination, origin, size),
        )
        warped_lips = masks.lips_mask(shape, destination[:68], origin) * coverage
        matched = colour.match_lips(matched, scene_lab, warped_lips, masks.lips_mask(shape, target68, origin))
        patch = colour.match_grain(colour.from_lab(matched), scene_patch, scene_skin)
        return two_band(scene, patch, mask, region, sigma=2.0 * inset)

    def _landmarks(self, image: np.ndarray, face: Face) -> np.ndarray:
        known = face.landmarks68
        found = known if known is not None else self._landmarker.landmarks(image, face)
        points = np.asarray(found, dtype=np.float32)
        if points.shape != (68, 2) or not np.isfinite(points).all():
            raise EngineError("The landmarker returned no usable 68 landmarks.")
        return points


def _facing_like(source: LandmarkFace, target68: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The source as is, or mirrored when it is turned the other way from the target.

    A face turned away shows one cheek foreshortened; warped onto a face turned the other way, that
    thin strip would be stretched over the wide side. Faces are near enough symmetric that the mirror
    image keeps the identity and brings the well-seen side where it is needed.
    """
    source_yaw, target_yaw = yaw(source.points[:68]), yaw(target68)
    if abs(-source_yaw - target_yaw) + _MIRROR_MARGIN < abs(source_yaw - target_yaw):
        return mirror(source.pixels, source.points)
    return source.pixels, source.points


def _scaled_to(pixels: np.ndarray, points: np.ndarray, target_size: float) -> tuple[np.ndarray, np.ndarray]:
    """The source crop shrunk (area-averaged) when it is much larger than the target face: no aliasing."""
    scale = target_size / face_size(points[:68])
    if scale >= 0.7:
        return pixels, points
    height, width = pixels.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    shrunk = per_four_channels(pixels, lambda part: cv2.resize(part, size, interpolation=cv2.INTER_AREA))
    factors = np.array([size[0] / width, size[1] / height], dtype=np.float32)
    return shrunk, points * factors
