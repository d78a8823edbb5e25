"""Finding faces: one pipeline, one set of thresholds, two runtimes of the same SCRFD model.

- `thresholds`: SCRFD's score/NMS thresholds, its input size, the passes over a photo, the contract's
  background rule and the working face size; every face-finding path reads them from here.
- `ordering`: the contract's face numbering (background faces dropped, left to right) and face counts.
- `pipeline`: reduce, letterbox, run a canvas detector, map boxes back, order. API and worker both
  come through it, so a photo the API accepts is a photo the worker sees with the same faces.
- `scrfd_numpy`: SCRFD decoded with numpy + onnxruntime only (the API Lambda has no OpenCV/insightface).
- `scrfd_insightface`: SCRFD through insightface's model_zoo (the worker).

Nothing is imported here, so the API's Lambda loads only the modules it names.
"""
