"""Provenance for one task's result, as the worker applies it: the watermark id registered for the task
and the labels the engine draws, then the Content Credentials signed over the encoded result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from core.adapters.mark_registry import MarkRegistry
from core.logic.content_credentials import ResultSigner
from core.models.task import Task
from engine_layer.datatypes import SwapResult
from engine_layer.decode import sniff
from engine_layer.operations import SCENE_FIELD
from engine_layer.provenance.labels import ResultLabels


@dataclass(frozen=True)
class ResultProvenance:
    marks: MarkRegistry
    signer: ResultSigner | None  # None only where no signing secret is configured (some unit tests)

    def labels_for(self, task: Task) -> ResultLabels:
        """A new mark id for this attempt (a retried task gets another; each leads to the same task)."""
        mark_id = self.marks.register(task.task_id, task.key_id, task.expires_at)
        return ResultLabels(mark_id=mark_id, visible_label=task.visible_label)

    def sign(self, task: Task, result: SwapResult, images: Mapping[str, bytes]) -> bytes:
        """The result's bytes with its signed manifest (unchanged when no signer is configured)."""
        if self.signer is None:
            return result.image
        scene = images[SCENE_FIELD[task.operation]]
        return self.signer.sign(
            result.image,
            result.content_type,
            scene=scene,
            scene_content_type=sniff(scene, "scene").content_type,
            operation=task.operation.value,
            engine=result.engine,
        )
