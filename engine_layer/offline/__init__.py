"""The offline tier: a landmark-based face swap and a classic detail restorer, no model downloads."""

from engine_layer.offline.restorer import ClassicRestorer
from engine_layer.offline.swapper import ClassicSwapper, LandmarkFace

__all__ = ["ClassicRestorer", "ClassicSwapper", "LandmarkFace"]
