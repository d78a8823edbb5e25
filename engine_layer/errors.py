"""Typed engine errors. The API maps each onto the contract's error code of the same name."""

from __future__ import annotations


class EngineError(Exception):
    """Base of every error the engine raises on purpose. `code` is the contract's error code."""

    code = "server_error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, object] = details


class InvalidImage(EngineError):
    """Not JPEG/PNG/WebP, truncated, zero-sized, or over the pixel limits."""

    code = "invalid_image_format"

    def __init__(self, message: str, *, image: str | None = None) -> None:
        super().__init__(message, **({"image": image} if image else {}))


class NoFaceDetected(EngineError):
    code = "no_face_detected"

    def __init__(self, image: str) -> None:
        super().__init__(f"No face was detected in {image}.", image=image)


class FaceCountMismatch(EngineError):
    code = "face_count_mismatch"

    def __init__(self, image: str, expected: int, found: int) -> None:
        super().__init__(
            f"{image} must contain exactly {expected} face(s); found {found}.",
            image=image,
            expected=expected,
            found=found,
        )


class FaceIndexOutOfRange(EngineError):
    code = "face_index_out_of_range"

    def __init__(self, parameter: str, max_index: int) -> None:
        super().__init__(
            f"{parameter} names a face that does not exist (highest index {max_index}).",
            parameter=parameter,
            max_index=max_index,
        )


class ModelsMissing(EngineError):
    """The requested tier's model files are absent or fail their checksum (an operator fault)."""

    code = "server_error"
