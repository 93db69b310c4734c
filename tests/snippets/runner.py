"""Running a generated snippet as a student would: a fresh namespace, its printing captured, and
checks that it imports only what it may and stays readable."""

from __future__ import annotations

import ast
import io
import os
import tempfile
from contextlib import chdir, redirect_stdout
from pathlib import Path

from cnnplay.snippets import ALLOWED_IMPORTS, Snippet

MAX_LINE = 100  # characters: the repository's own line length


def imported(code: str) -> set[str]:
    """Top-level names of every module the code imports."""
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add((node.module or "").split(".")[0])
    return names


def allowed(snippet: Snippet) -> set[str]:
    """The modules the snippet may import: ALLOWED_IMPORTS and those of its named packages."""
    modules = {"pillow": "PIL"}  # packages whose module has another name
    return set(ALLOWED_IMPORTS) | {modules.get(n, n.replace("-", "_")) for n in snippet.needs}


def run(snippet: Snippet) -> dict:
    """Execute the snippet in a fresh namespace, in a fresh folder holding its files; returns the
    namespace (its printed text under "__stdout__"). Fails if it imports anything beyond what it
    may, has an over-long line, or leaves no result variable."""
    assert imported(snippet.code) <= allowed(snippet), imported(snippet.code)
    long = [line for line in snippet.code.splitlines() if len(line) > MAX_LINE]
    assert not long, long
    assert snippet.code.endswith("\n") and not snippet.code.endswith("\n\n")
    namespace: dict = {"__name__": "__main__"}
    out = io.StringIO()
    with tempfile.TemporaryDirectory() as folder, chdir(folder), redirect_stdout(out):
        for name, content in snippet.files:
            assert os.path.basename(name) == name, name  # a plain file name, no folders
            Path(name).write_bytes(content)
        exec(compile(snippet.code, snippet.file_name, "exec"), namespace)  # noqa: S102 (the point)
    assert snippet.result_name in namespace, snippet.result_name
    namespace["__stdout__"] = out.getvalue()
    return namespace
