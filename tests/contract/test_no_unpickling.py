"""Models are ONNX only and nothing in the project unpickles data (a code-execution risk)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("streams", "schemas", "inference", "training", "monitors")
FORBIDDEN = re.compile(
    r"\b(pickle|cPickle|dill|cloudpickle|joblib|shelve|marshal)\s*\.\s*(loads?|Unpickler|open)\b"
    r"|\bnumpy\.load\([^)]*allow_pickle\s*=\s*True"
    r"|\bnp\.load\([^)]*allow_pickle\s*=\s*True"
)


def test_no_package_module_unpickles() -> None:
    offenders = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for package in PACKAGES
        for path in sorted((REPO / package).rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if FORBIDDEN.search(line)
    ]
    assert offenders == []


def test_the_check_catches_an_unpickler() -> None:
    assert FORBIDDEN.search("data = pickle.loads(blob)")
    assert FORBIDDEN.search("model = joblib.load(path)")
    assert FORBIDDEN.search("np.load(f, allow_pickle=True)")
    assert not FORBIDDEN.search("payload = json.loads(text)")
