"""Token counting with a real tokenizer, offline.

We count with tiktoken's ``cl100k_base``. tiktoken normally downloads its BPE file; litellm
ships that file inside its package, so we point ``TIKTOKEN_CACHE_DIR`` there (found with
``importlib.util.find_spec``, which does not import litellm). When neither is installed we fall
back to a documented approximation and say so (``TOKENIZER`` names which one is in use).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re

_APPROX = re.compile(r"\w+|[^\w\s]")


@functools.cache
def _encoder():
    try:
        import tiktoken
    except ImportError:
        return None
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        spec = importlib.util.find_spec("litellm")
        if spec and spec.submodule_search_locations:
            bundled = os.path.join(spec.submodule_search_locations[0], "litellm_core_utils",
                                   "tokenizers")
            if os.path.isdir(bundled):
                os.environ["TIKTOKEN_CACHE_DIR"] = bundled
    try:
        return tiktoken.get_encoding("cl100k_base")
    except Exception:  # no cached BPE file and no network: use the approximation
        return None


def tokenizer_name() -> str:
    return "tiktoken/cl100k_base" if _encoder() is not None else "approx/words+punct"


@functools.lru_cache(maxsize=4096)  # reports count the same source body once per target
def count_tokens(text: str) -> int:
    enc = _encoder()
    if enc is not None:
        return len(enc.encode(text, disallowed_special=()))
    return len(_APPROX.findall(text))
