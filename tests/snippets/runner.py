"""Running a generated snippet as a student would: a fresh namespace, its printing captured, and
checks that it imports only what it may and stays readable."""

from __future__ import annotations

import ast
import io
from contextlib import redirect_stdout

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


def run(snippet: Snippet) -> dict:
    """Execute the snippet in a fresh namespace; returns the namespace (its printed text under
    "__stdout__"). Fails if it imports anything beyond ALLOWED_IMPORTS, has an over-long line, or
    leaves no result variable."""
    assert imported(snippet.code) <= set(ALLOWED_IMPORTS), imported(snippet.code)
    long = [line for line in snippet.code.splitlines() if len(line) > MAX_LINE]
    assert not long, long
    assert snippet.code.endswith("\n") and not snippet.code.endswith("\n\n")
    namespace: dict = {"__name__": "__main__"}
    out = io.StringIO()
    with redirect_stdout(out):
        exec(compile(snippet.code, snippet.file_name, "exec"), namespace)
    assert snippet.result_name in namespace, snippet.result_name
    namespace["__stdout__"] = out.getvalue()
    return namespace
