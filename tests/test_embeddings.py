import numpy as np
import pytest

from assistant.embeddings import Embedder
from assistant.errors import ModelNotFoundError
from assistant.models import embedder_path
from assistant.settings import BUNDLED_EMBEDDER, EmbeddingConfig


def test_vectors_are_normalised_and_a_local_directory_works_the_same(embedder):
    local = Embedder(EmbeddingConfig(model=str(embedder_path(BUNDLED_EMBEDDER))))
    texts = ["Metformin can cause lactic acidosis.", "Invoices are payable within 45 days."]
    a, b = embedder.encode(texts), local.encode(texts)
    assert a.shape == (2, 384) and a.dtype == np.float32
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-4)
    assert np.allclose(a, b, atol=1e-5)
    assert local.identity != embedder.identity  # a KB records which one built it
    assert embedder.encode([]).shape == (0, 384)


def test_missing_local_model_is_a_clear_error(tmp_path):
    with pytest.raises(ModelNotFoundError, match="expected 'bundled:all-MiniLM-L6-v2' or a local"):
        Embedder(EmbeddingConfig(model=str(tmp_path))).warm_up()
