"""Import names -> installable package names, and what needs no install at all.

Python: the import name often differs from the distribution on PyPI (``import yaml`` needs
``pip install pyyaml``). ``MODULE_TO_DIST`` is the table of those differences, checked against
each project's PyPI page; dotted keys win over their prefix (``google.protobuf``). Names the
table does not list install under their own name. What happens to be installed in the compiling
interpreter is deliberately not consulted: the same skill must compile to the same env script
on every machine. Standard-library names come from ``sys.stdlib_module_names`` (the
interpreter's own list, never a hand list).
"""

from __future__ import annotations

import sys

# import name -> PyPI distribution, only where the two differ (or are commonly confused).
MODULE_TO_DIST: dict[str, str] = {
    "yaml": "pyyaml",
    "PIL": "pillow",
    "cv2": "opencv-python",
    "bs4": "beautifulsoup4",
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "docx": "python-docx",
    "pptx": "python-pptx",
    "fitz": "pymupdf",
    "pymupdf": "pymupdf",
    "dateutil": "python-dateutil",
    "dotenv": "python-dotenv",
    "jwt": "pyjwt",
    "magic": "python-magic",
    "serial": "pyserial",
    "Crypto": "pycryptodome",
    "Cryptodome": "pycryptodomex",
    "google.protobuf": "protobuf",
    "google.genai": "google-genai",
    "google.generativeai": "google-generativeai",
    "googleapiclient": "google-api-python-client",
    "attr": "attrs",
    "attrs": "attrs",
    "OpenSSL": "pyopenssl",
    "mpl_toolkits": "matplotlib",
    "matplotlib": "matplotlib",
    "lxml": "lxml",
    "playwright": "playwright",
    "psycopg2": "psycopg2-binary",  # the prebuilt wheel; "psycopg2" needs a compiler
    "MySQLdb": "mysqlclient",
    "win32api": "pywin32",
    "win32com": "pywin32",
    "usb": "pyusb",
    "zmq": "pyzmq",
    "git": "gitpython",
    "github": "pygithub",
    "slugify": "python-slugify",
    "multipart": "python-multipart",
    "jose": "python-jose",
    "ldap": "python-ldap",
    "Levenshtein": "levenshtein",
    "markdown": "markdown",
    "pypdf": "pypdf",
    "PyPDF2": "pypdf2",
    "fontTools": "fonttools",
    "openpyxl": "openpyxl",
    "xlrd": "xlrd",
    "pdfplumber": "pdfplumber",
    "pytesseract": "pytesseract",
    "pdf2image": "pdf2image",
    "reportlab": "reportlab",
    "Bio": "biopython",
    "nacl": "pynacl",
    "kafka": "kafka-python",
    "telegram": "python-telegram-bot",
    "socketio": "python-socketio",
    "engineio": "python-engineio",
    "websocket": "websocket-client",
    "gi": "pygobject",
    "wx": "wxpython",
    "pkg_resources": "setuptools",
    "setuptools": "setuptools",
    "IPython": "ipython",
    "tree_sitter": "tree-sitter",
    "speech_recognition": "speechrecognition",
    "sentence_transformers": "sentence-transformers",
    "huggingface_hub": "huggingface-hub",
    "faiss": "faiss-cpu",
    "duckduckgo_search": "duckduckgo-search",
    "mcp": "mcp",
}


def is_stdlib(module: str) -> bool:
    """True when ``module`` (dotted or not) belongs to the running interpreter's stdlib."""
    top = module.split(".", 1)[0]
    return top in sys.stdlib_module_names or top == "__future__"


def distribution_for(module: str) -> str:
    """The PyPI distribution to install for an import of ``module`` (dotted allowed)."""
    parts = module.split(".")
    for i in range(len(parts), 0, -1):  # longest dotted prefix first
        hit = MODULE_TO_DIST.get(".".join(parts[:i]))
        if hit:
            return hit
    return parts[0].lower().replace("_", "-")


# Node's built-in modules (``require('module').builtinModules``, Node 20); these need no
# install. Data, not logic: ``node:``-prefixed imports are recognised without it.
NODE_BUILTINS = frozenset("""
assert async_hooks buffer child_process cluster console constants crypto dgram
diagnostics_channel dns domain events fs http http2 https inspector module net os path
perf_hooks process punycode querystring readline repl stream string_decoder sys timers tls
trace_events tty url util v8 vm wasi worker_threads zlib test
""".split())


def npm_package(spec: str) -> str | None:
    """The npm package an import/require specifier names, or None for builtins/local files."""
    if not spec or spec.startswith((".", "/", "node:")) or "://" in spec:
        return None
    parts = spec.split("/")
    name = "/".join(parts[:2]) if spec.startswith("@") and len(parts) > 1 else parts[0]
    if name.split("/")[0] in NODE_BUILTINS:
        return None
    return name
