import numpy as np
import pytest

from assistant.core.errors import KnowledgeBaseError
from assistant.indexes import FaissDenseIndex


def _unit(rows):
    v = np.asarray(rows, dtype=np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_add_search_remove_save_reload(tmp_path):
    index = FaissDenseIndex(tmp_path / "d.faiss", 3)
    index.upsert([10, 20, 30], _unit([[1, 0, 0], [0, 1, 0], [0, 0, 1]]))
    (hits,) = index.search(_unit([[0.9, 0.1, 0]]), 2)
    assert [k for k, _ in hits] == [10, 20] and hits[0][1] > hits[1][1]
    index.delete([10])
    index.save()
    again = FaissDenseIndex(tmp_path / "d.faiss", 3)
    assert again.keys() == {20, 30} and len(again) == 2
    assert FaissDenseIndex(tmp_path / "empty.faiss", 3).search(_unit([[1, 0, 0]]), 5) == [[]]


def test_dimension_mismatch_and_corrupt_file(tmp_path):
    index = FaissDenseIndex(tmp_path / "d.faiss", 3)
    index.upsert([1], _unit([[1, 0, 0]]))
    index.save()
    with pytest.raises(KnowledgeBaseError, match="dimension 3, expected 4"):
        len(FaissDenseIndex(tmp_path / "d.faiss", 4))
    (tmp_path / "bad.faiss").write_bytes(b"garbage")
    with pytest.raises(KnowledgeBaseError, match="unreadable"):
        len(FaissDenseIndex(tmp_path / "bad.faiss", 3))
