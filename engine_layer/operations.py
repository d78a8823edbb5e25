"""The four operations and what each needs: the single source of truth for API and worker."""

from __future__ import annotations

from enum import StrEnum


class Operation(StrEnum):
    BASICSWAP = "basicswap"
    FACESWAP2 = "faceswap2"
    SWAP1FROM2 = "swap1from2"
    SWAPFACESAMEIMAGE = "swapfacesameimage"


# Input field (the contract's multipart name) -> number of faces it must hold, in field order.
REQUIRED_FACES: dict[Operation, dict[str, int]] = {
    Operation.BASICSWAP: {"srcimage": 1, "targetimage": 1},
    Operation.FACESWAP2: {"srcimage": 2, "targetimage": 2},
    Operation.SWAP1FROM2: {"srcimage": 2, "targetimage1": 1, "targetimage2": 1},
    Operation.SWAPFACESAMEIMAGE: {"srcimage": 2},
}

# The image whose scene (size, format, background) the result keeps.
SCENE_FIELD: dict[Operation, str] = {
    Operation.BASICSWAP: "targetimage",
    Operation.FACESWAP2: "targetimage",
    Operation.SWAP1FROM2: "srcimage",
    Operation.SWAPFACESAMEIMAGE: "srcimage",
}
