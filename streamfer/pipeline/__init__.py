"""The per-frame pipeline: its stages (``stages.FramePipeline``), the reading of a face
(``reading``), what it hands out (``results``) and driving it over a source (``run``)."""
