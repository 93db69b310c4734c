"""The README's Python examples run and print what they say (doctest over its ```python blocks)."""

import doctest
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_examples():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "the README should show at least one Python example"
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner()
    for n, block in enumerate(blocks):
        runner.run(parser.get_doctest(block, {}, f"README block {n}", str(README), 0))
    result = runner.summarize(verbose=False)
    assert result.attempted >= 3 and result.failed == 0
