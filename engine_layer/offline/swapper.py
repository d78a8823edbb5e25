"""The offline tier's face swap: no neural swapper, only geometry and colour science on 68 landmarks.

1. The source face's texture is warped triangle by triangle (one fixed layout over the 68 landmarks
   plus a forehead arc, layout.py) onto the target's jaw and forehead outline, with eyes, brows, nose
   and mouth placed in the source's own proportions (fitted to the target's pose), so the result
   keeps the source's identity and not only its skin. A source turned the other way from the target
   is mirrored first; a side of the face it shows too foreshortened is worn from its mirror image.
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
from functools import cached_property
from typing import Protocol

import cv2
import numpy as np

from engine_layer.datatypes import Face
from engine_layer.errors import EngineError
from engine_layer.offline import colour, lighting, masks, occlusion
from engine_layer.offline.blend import two_band
from engine_layer.offline.geometry import (
    blend_proportions,
    extended_landmarks,
    face_size,
    mirror,
    mirrored_points,
    yaw,
)
from engine_layer.offline.layout import CANONICAL_POINTS, FACE_TRIANGLES
from engine_layer.offline.warp import (
    Region,
    owners,
    per_four_channels,
    triangle_stretch,
    warp_piecewise_affine,
)

# How far the target's eyes, nose and mouth move to the source's layout (0 = keep target's, 1 = source's).
PROPORTION_WEIGHT = 1.0
# Relative to face size: margin of the crop kept from the source, inset and feather of the blend mask.
_CROP_MARGIN = 0.25
_MASK_INSET = 0.04
# Mirror the source only when that brings its head turn nearer the target's by more than this.
_MIRROR_MARGIN = 0.1
# Share of the source's searched skin taken as occluded above which its landmarks are fitted again.
_REFIT_SHARE = 0.02
_ZERO = np.zeros(2, dtype=np.float32)
# A side of the face (left or right of the nose line) whose source triangles are stretched beyond this
# (warp.triangle_stretch, over 95% of its area) is worn from the mirror image when that stretches it
# _FILL_GAIN times less. On t1.jpg's pairs a side the source shows well measures 1.1-4.7, the far side
# of a source turned 20-57 degrees further than the target 9-18 (its mirror image: 1.5-1.8).
_FILL_STRETCH = 8.0
_FILL_GAIN = 1.5
# The landmarker's views of a source (`_fitted`) are taken on a crop reaching this many face-box sides
# from the box's centre: its own crop is a square 1.5 box sides wide, turned with the eyes (half
# diagonal up to 1.06 sides) and centred on its mesh, so it sees the same pixels as in the whole photo.
_VIEW_REACH = 1.5
_FILL_FEATHER = 0.04  # the blend across the nose line: Gaussian sigma in face sizes
# Each layout triangle's side of the nose line on the canonical face: -1, +1, or 0 within 4% of it.
_ACROSS = CANONICAL_POINTS[FACE_TRIANGLES].mean(axis=1)[:, 0] - 0.5  # centre's offset from the nose line
_SIDES = np.where(np.abs(_ACROSS) < 0.04, 0, np.sign(_ACROSS)).astype(int)


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
        landmarks = self.landmarks(image, face, mirrored_fit=True)
        prepared = _SourceCrop.of(image, landmarks)
        if face.landmarks68 is None and prepared.share > _REFIT_SHARE:
            # An occluder pulls a landmarker's fit toward itself (a disc on the chin moves the whole
            # mesh by 1% of the face, and the warp with it): fit again with the occluders filled in.
            filled = image.copy()
            rows, cols = prepared.region.slices
            filled[rows, cols] = prepared.filled()
            refitted = _SourceCrop.of(image, self._fitted(filled, face))
            prepared = refitted if refitted.share > 0.0 else prepared
        return prepared.identity()

    def swap(self, scene: np.ndarray, target: Face, source: LandmarkFace) -> np.ndarray:
        target68 = self.landmarks(scene, target)
        size = face_size(target68)
        region = Region.around(extended_landmarks(target68), size * 0.05, scene.shape)
        if region.empty:
            return scene.copy()
        outline = extended_landmarks(target68)  # the blend stays inside the target's own outline
        plan = warp_plan(source, target68)
        destination = plan.destination
        warped, coverage = plan.warp(region)
        rows, cols = region.slices
        scene_patch = scene[rows, cols]
        scene_lab = colour.to_lab(scene_patch)
        shape = (region.height, region.width)
        origin = region.origin

        source_gate = np.clip(warped[..., 3], 0.0, 1.0)
        source_hidden = np.clip(warped[..., 4], 0.0, 1.0)
        target_masks = masks.FaceMasks(shape, outline, origin)
        placed_masks = masks.FaceMasks(shape, destination, origin)  # the source's features, as worn
        scene_gate = target_masks.forehead_gate(scene_lab)
        outline_area = target_masks.outline
        scene_occluded = occlusion.not_face(
            scene_patch,
            target_masks.lower_face,
            target_masks.occlusion_search,
            size,
            within=outline_area,
            highlights_are_skin=True,
        )

        inset = max(1, round(size * _MASK_INSET))
        face = outline_area * coverage
        # What is in front of the target's face stays in front, whole.
        mask = masks.feathered_inside(face, inset) * scene_gate * source_gate
        mask *= 1.0 - occlusion.in_front(scene_occluded, inset)

        warped_lab = colour.to_lab(warped[..., :3])
        source_skin = placed_masks.skin
        # The brows by their hair, not their outline: skin the outline covers takes part in the
        # source's shading (else it comes out as a pale band), and hair outside it does not.
        around, hair = masks.brow_hair(warped_lab, source_skin, destination[:68], origin)
        source_skin = np.maximum(source_skin, around * outline_area) * (1.0 - hair)
        source_skin *= coverage
        # The eye sockets' darkness is the source's face, not its light: left out of the skin its base
        # is measured on, it stays detail (measured on the skin, the edge-aware base took it for light
        # and the sockets came out 1-5 L paler: eyes that looked cut out and pasted on).
        source_skin *= 1.0 - placed_masks.eye_sockets
        source_skin *= (source_gate > 0.5) & (scene_gate > 0.5) & (source_hidden < 0.5)
        scene_skin = target_masks.skin * (1.0 - scene_occluded) * (scene_gate > 0.5)
        across = lighting.across_nose_line(shape, destination, origin)
        # Where the source was occluded its detail is dropped: the scene's own skin shading shows.
        matched = lighting.relight(
            warped_lab,
            scene_lab,
            source_skin,
            scene_skin,
            size,
            hidden=source_hidden,
            across=across,
        )
        warped_lips = placed_masks.lips * coverage
        matched = colour.match_lips(matched, scene_lab, warped_lips, target_masks.lips)
        patch = colour.match_grain(colour.from_lab(matched), scene_patch, scene_skin)
        return two_band(scene, patch, mask, region, sigma=2.0 * inset)

    def landmarks(self, image: np.ndarray, face: Face, mirrored_fit: bool = False) -> np.ndarray:
        """The 68 points the swap works with: `face.landmarks68` when given, else the landmarker's fit;
        with `mirrored_fit` (the source's) averaged with its fit on the mirrored photo (`_fitted`).

        The target keeps the landmarker's own fit (one pass, so the crop pipeline equals the
        whole-frame swap). A hundredth of a pixel on its points no longer flips warp triangles (up to
        81 grey levels in an open mouth on insightface's t1.jpg when the warp triangulated the
        target's own points): the layout is fixed (layout.py) and a thin or folded triangle hands over
        to its neighbour's map gradually (warp.triangle_maps)."""
        known = face.landmarks68
        if known is not None:
            found = known
        elif mirrored_fit:
            found = self._fitted(image, face)
        else:
            found = self._landmarker.landmarks(image, face)
        points = np.asarray(found, dtype=np.float32)
        if points.shape != (68, 2) or not np.isfinite(points).all():
            raise EngineError("The landmarker returned no usable 68 landmarks.")
        return points

    def _fitted(self, image: np.ndarray, face: Face) -> np.ndarray:
        """The landmarker's points averaged over four views: the photo, its mirror image, and both again
        with the face's side light and colour cast evened out (`lighting.evened`).

        A landmark network's fit wanders with what it sees (a shadow, a disc on the chin moved the
        mesh's eyes and mouth by 1% of the face on the shared photos); its errors on a photo and on
        its mirror image are largely independent, so their mean wanders about half as far, and on the
        evened copy a hard shadow moves the jaw and brows a third less. Used for the source, whose
        spoils (shadow, cast, occluder) would otherwise move the warp.
        """
        region = _view_region(face, image.shape)
        if region.empty:
            return np.asarray(self._landmarker.landmarks(image, face), dtype=np.float32)
        # The four views are of a crop around the face: flipping and evening a 20 MP photo cost more
        # than the landmarker itself, and it sees the same pixels in the crop (_VIEW_REACH).
        crop = np.ascontiguousarray(image[region.slices])
        local = shifted_face(face, -region.origin)
        points = self._mirror_averaged(crop, local)
        evened = lighting.evened(crop, points)
        if evened is not None:
            points = (points + self._mirror_averaged(evened, local)) / 2.0
        placed: np.ndarray = (points + region.origin).astype(np.float32)
        return placed

    def _mirror_averaged(self, image: np.ndarray, face: Face) -> np.ndarray:
        """The landmarker's points averaged with its points on the mirrored photo (mirrored back)."""
        points = np.asarray(self._landmarker.landmarks(image, face), dtype=np.float32)
        width = image.shape[1]
        flipped = self._landmarker.landmarks(cv2.flip(image, 1), mirrored_face(face, width))
        back = np.asarray(flipped, dtype=np.float32)
        if back.shape != (68, 2) or points.shape != (68, 2):
            return points
        averaged: np.ndarray = (points + mirrored_points(back, width)) / 2.0
        return averaged


def _view_region(face: Face, shape: tuple[int, ...]) -> Region:
    """The part of the photo the landmarker's views of `face` are taken on (`_VIEW_REACH`)."""
    x1, y1, x2, y2 = (float(v) for v in face.bbox)
    reach = _VIEW_REACH * max(x2 - x1, y2 - y1, 1.0)
    return Region.around(np.array([face.centre], dtype=np.float32), reach, shape)


def shifted_face(face: Face, offset: np.ndarray) -> Face:
    """`face` with its box and key points moved by `offset` (x, y): as found in a crop of its photo."""
    bbox = np.asarray(face.bbox, dtype=np.float32) + np.tile(offset.astype(np.float32), 2)
    kps = np.asarray(face.kps, dtype=np.float32) + offset.astype(np.float32)
    return Face(bbox=bbox, score=face.score, kps=kps)


def mirrored_face(face: Face, width: int) -> Face:
    """`face` as found in its photo flipped left-right: box and key points moved, left and right swapped."""
    bbox = np.asarray(face.bbox, dtype=np.float32).copy()
    bbox[[0, 2]] = (width - 1) - bbox[[2, 0]]
    kps = np.asarray(face.kps, dtype=np.float32).copy()
    kps[:, 0] = (width - 1) - kps[:, 0]
    return Face(bbox=bbox, score=face.score, kps=kps[[1, 0, 2, 4, 3]])


@dataclass(frozen=True)
class _SourceCrop:
    """The source face's crop around its landmarks, with what the swap needs measured on it."""

    region: Region
    crop: np.ndarray  # h x w x 3 uint8 BGR
    points: np.ndarray  # (83, 2) crop coordinates
    lab: np.ndarray
    face_masks: masks.FaceMasks
    size: float

    @classmethod
    def of(cls, image: np.ndarray, landmarks: np.ndarray) -> _SourceCrop:
        points = extended_landmarks(landmarks)
        size = face_size(points[:68])
        region = Region.around(points, size * _CROP_MARGIN, image.shape)
        if region.empty:
            raise EngineError("The source face lies outside its image.")
        rows, cols = region.slices
        crop = image[rows, cols]
        local = points - region.origin
        face_masks = masks.FaceMasks(crop.shape[:2], local, _ZERO)
        return cls(region, crop, local, colour.to_lab(crop), face_masks, size)

    @cached_property
    def gate(self) -> np.ndarray:
        """The forehead skin gate (masks.FaceMasks.forehead_gate)."""
        return self.face_masks.forehead_gate(self.lab)

    @cached_property
    def occluded(self) -> np.ndarray:
        """0..1: what in front of the face is not skin (occlusion.not_face)."""
        face = self.face_masks
        return occlusion.not_face(
            self.crop, face.lower_face, face.occlusion_search, self.size, within=face.occluder_reach
        )

    @property
    def share(self) -> float:
        return occlusion.share(self.occluded, self.face_masks.occlusion_search)

    @cached_property
    def skin(self) -> np.ndarray:
        """The source's visible skin: its skin mask less occluders and forehead hair (0..1)."""
        skin: np.ndarray = self.face_masks.skin * (1.0 - self.occluded) * (self.gate > 0.5)
        return skin

    @cached_property
    def hidden(self) -> np.ndarray:
        """Occluders, dropped whole with a soft edge: none of their rim may leak into the face."""
        return occlusion.in_front(self.occluded, max(1, round(self.size * _MASK_INSET)))

    def filled(self) -> np.ndarray:
        """The crop with its occluders painted over by the skin around them (uint8 BGR)."""
        pixels = self.crop.astype(np.float32)
        skin_colour = colour.smooth_over(pixels, self.skin.astype(np.float32), max(1.0, self.size * 0.08))
        painted = pixels + self.hidden[..., None] * (skin_colour - pixels)
        return np.clip(np.rint(painted), 0, 255).astype(np.uint8)

    def identity(self) -> LandmarkFace:
        pixels = np.dstack([self.crop.astype(np.float32), self.gate, self.hidden]).astype(np.float32)
        return LandmarkFace(
            pixels=pixels,
            points=self.points.astype(np.float32),
            occluded_share=self.share,
            side_lighting=lighting.side_lighting(self.lab, self.skin, self.points, _ZERO),
        )


@dataclass(frozen=True)
class Texture:
    """Source pixels (h x w x channels float32) and its 83 points in them."""

    pixels: np.ndarray
    points: np.ndarray


@dataclass(frozen=True)
class WarpPlan:
    """How a source face is worn on a target: its pixels and points (mirrored, shrunk as needed), where
    each point lands on the target (`destination`, scene coordinates) and the triangles between them.

    `fill`: the same source mirrored the other way, worn on the triangles `filled` marks: one side of
    the face, where the source shows its cheek so foreshortened (turned away) that its own pixels would
    be a strip smeared over the target's cheek, while its mirror image shows that side well."""

    pixels: np.ndarray
    points: np.ndarray  # (83, 2)
    destination: np.ndarray  # (83, 2)
    triangles: np.ndarray  # (T, 3) indices into both point sets
    mirrored: bool
    fill: Texture | None = None
    filled: np.ndarray | None = None  # (T,) bool: triangles drawn from `fill`

    def stretch(self) -> tuple[np.ndarray, np.ndarray]:
        """Per triangle, the anisotropy of the texture it is drawn from and its area on the target
        (warp.triangle_stretch)."""
        stretch, areas = triangle_stretch(self.points, self.destination, self.triangles)
        if self.fill is not None and self.filled is not None:
            mirrored, _ = triangle_stretch(self.fill.points, self.destination, self.triangles)
            stretch = np.where(self.filled, mirrored, stretch)
        return stretch, areas

    def warp(self, region: Region) -> tuple[np.ndarray, np.ndarray]:
        """The source warped onto the target inside `region`, and its coverage (warp_piecewise_affine);
        the filled side from the mirror image, blended over a soft band along its edge (the nose line)."""
        warped, coverage = warp_piecewise_affine(
            self.pixels, self.points, self.destination, self.triangles, region
        )
        if self.fill is None or self.filled is None:
            return warped, coverage
        other, other_coverage = warp_piecewise_affine(
            self.fill.pixels, self.fill.points, self.destination, self.triangles, region
        )
        local = self.destination - region.origin
        side = self.triangles[self.filled]
        hard = (owners(local, side, np.arange(len(side)), (region.height, region.width)) > 0).astype(
            np.float32
        )
        sigma = max(1.0, _FILL_FEATHER * face_size(self.destination[:68]))
        weight = cv2.GaussianBlur(hard, (0, 0), sigma)
        blended = warped + weight[..., None] * (other - warped)
        return blended.astype(warped.dtype), coverage + weight * (other_coverage - coverage)


def warp_plan(source: LandmarkFace, target68: np.ndarray, mirrored: bool | None = None) -> WarpPlan:
    """The plan for wearing `source` on `target68`; mirrored as `mirrored` says, or (None) when the
    source is turned the other way from the target (`_turned_away`); a side of the face the source
    shows too foreshortened is taken from its mirror image (`_foreshortened_sides`)."""
    destination = extended_landmarks(blend_proportions(target68, source.points[:68], PROPORTION_WEIGHT))
    if mirrored is None:
        mirrored = _turned_away(source, target68)
    pixels, points = mirror(source.pixels, source.points) if mirrored else (source.pixels, source.points)
    pixels, points = _scaled_to(pixels, points, face_size(target68))
    filled = _foreshortened_sides(points, mirrored_points(points, pixels.shape[1]), destination)
    if not filled.any():
        return WarpPlan(pixels, points, destination, FACE_TRIANGLES, mirrored)
    return WarpPlan(
        pixels, points, destination, FACE_TRIANGLES, mirrored, Texture(*mirror(pixels, points)), filled
    )


def _foreshortened_sides(points: np.ndarray, mirrored: np.ndarray, destination: np.ndarray) -> np.ndarray:
    """Per layout triangle, whether it is better drawn from the mirror image: it lies on a side of the
    face (left or right of the nose line) whose triangles the source stretches beyond _FILL_STRETCH
    over 95% of their area, where the mirror image stretches them clearly less."""
    own, areas = triangle_stretch(points, destination, FACE_TRIANGLES)
    other, _ = triangle_stretch(mirrored, destination, FACE_TRIANGLES)
    filled = np.zeros(len(FACE_TRIANGLES), dtype=bool)
    for side in (-1, 1):
        on = np.equal(_SIDES, side)
        worst_own, worst_other = _covering(own[on], areas[on]), _covering(other[on], areas[on])
        if worst_own > _FILL_STRETCH and worst_other * _FILL_GAIN < worst_own:
            filled |= on
    return filled


def _covering(stretch: np.ndarray, areas: np.ndarray, share: float = 0.95) -> float:
    """The stretch that triangles covering `share` of the area stay under."""
    if areas.sum() <= 0:
        return 0.0
    order = np.argsort(stretch)
    covered = np.cumsum(areas[order]) / areas.sum()
    return float(stretch[order][min(len(order) - 1, int(np.searchsorted(covered, share)))])


def _turned_away(source: LandmarkFace, target68: np.ndarray) -> bool:
    """Whether the source is better worn mirrored: it is turned the other way from the target.

    A face turned away shows one cheek foreshortened; warped onto a face turned the other way, that
    thin strip would be stretched over the wide side. Faces are near enough symmetric that the mirror
    image keeps the identity and brings the well-seen side where it is needed.
    """
    source_yaw, target_yaw = yaw(source.points[:68]), yaw(target68)
    return abs(-source_yaw - target_yaw) + _MIRROR_MARGIN < abs(source_yaw - target_yaw)


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
