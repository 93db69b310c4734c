"""The container files (deploy/docker/Dockerfile, deploy/docker/compose.yaml, .dockerignore),
checked without a container runtime: every step that can be tested here is.

- the Dockerfile parses into its instructions; its user is not root; its HEALTHCHECK asks
  Streamlit's /_stcore/health on the port it EXPOSEs and serves; its CMD's flags are options of
  the installed Streamlit with values of the right type;
- its torch pins equal requirements.txt's (they cannot drift), installed before
  requirements.txt, and a +cpu local version satisfies the plain pin (PEP 440);
- every path it COPYs exists and is in the build context (.dockerignore), which keeps .venv and
  .git out but never assets/;
- compose.yaml parses, with the port, healthcheck and memory limit of a class server, and
  replicas that deploy/nginx/cnnplay.conf's upstream names;
- the HEALTHCHECK command itself, run against a real `streamlit run app.py`, succeeds, and
  fails where nothing answers.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCKER_DIR = REPO / "deploy" / "docker"
DOCKERFILE = DOCKER_DIR / "Dockerfile"
COMPOSE = DOCKER_DIR / "compose.yaml"
DOCKERIGNORE = REPO / ".dockerignore"
NGINX_CONF = REPO / "deploy" / "nginx" / "cnnplay.conf"
PORT = 8501
HEALTH_PATH = "/_stcore/health"


# --- a tiny Dockerfile parser ----------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case, e.g. "RUN"
    args: str  # the rest of the (joined) line, continuations removed, variables as written

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form CMD/ENTRYPOINT/HEALTHCHECK CMD, else None."""
        text = self.args
        if self.keyword == "HEALTHCHECK":
            text = re.sub(r"^(--\S+\s+)*CMD\s+", "", text)
        try:
            value = json.loads(text)
        except ValueError:
            return None
        return value if isinstance(value, list) else None


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions in order: comment lines dropped, backslash continuations joined (comment
    lines inside a continued instruction are skipped, as Docker does)."""
    instructions: list[Instruction] = []
    current = ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#") or (not stripped and not current):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        keyword, _, args = current.strip().partition(" ")
        instructions.append(Instruction(keyword.upper(), " ".join(args.split())))
        current = ""
    assert not current, f"the Dockerfile ends inside a continued line: {current!r}"
    return instructions


def build_args(instructions: list[Instruction]) -> dict[str, str]:
    """ARG name -> its default value (quotes removed; "" when it has none)."""
    args = {}
    for ins in instructions:
        if ins.keyword == "ARG":
            name, _, default = ins.args.partition("=")
            args[name] = default.strip("\"'")
    return args


def expand(text: str, variables: dict[str, str]) -> str:
    """${NAME} and $NAME replaced by their values (unknown names left as they are)."""
    return re.sub(
        r"\$\{(\w+)\}|\$(\w+)",
        lambda m: variables.get(m.group(1) or m.group(2), m.group(0)),
        text,
    )


def requirement_pins() -> dict[str, str]:
    """requirements.txt's ``name==version`` lines, names lower-cased."""
    pins = {}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip().lower()] = version.strip()
    return pins


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return parse_dockerfile(DOCKERFILE.read_text())


def only(instructions: list[Instruction], keyword: str) -> Instruction:
    found = [ins for ins in instructions if ins.keyword == keyword]
    assert len(found) == 1, f"expected one {keyword}, found {len(found)}"
    return found[0]


def cmd_flags(instructions: list[Instruction]) -> dict[str, str]:
    """The CMD's ``--name value`` pairs after ``streamlit run app.py``."""
    cmd = only(instructions, "CMD").exec_form()
    assert cmd is not None, "CMD should be in exec form (a JSON array): signals reach streamlit"
    assert cmd[:3] == ["streamlit", "run", "app.py"]
    flags = cmd[3:]
    assert len(flags) % 2 == 0 and all(f.startswith("--") for f in flags[::2]), flags
    return {name[2:]: value for name, value in zip(flags[::2], flags[1::2], strict=True)}


# --- the Dockerfile --------------------------------------------------------------------------


def test_the_parser_joins_continuations_and_drops_comments():
    text = 'ARG A=1\n# note\nRUN echo a \\\n    # inside\n    && echo b\n\nCMD ["x", "y"]\n'
    parsed = parse_dockerfile(text)
    assert [i.keyword for i in parsed] == ["ARG", "RUN", "CMD"]
    assert parsed[1].args == "echo a && echo b"
    assert parsed[2].exec_form() == ["x", "y"]


def test_dockerfile_has_every_instruction_a_server_image_needs(instructions):
    keywords = {ins.keyword for ins in instructions}
    assert {"FROM", "RUN", "COPY", "USER", "HEALTHCHECK", "EXPOSE", "CMD"} <= keywords
    assert keywords <= {
        "ARG", "FROM", "ENV", "RUN", "COPY", "WORKDIR", "USER", "EXPOSE", "HEALTHCHECK", "CMD",
        "ENTRYPOINT", "LABEL",
    }, "an instruction this test does not know: teach the test what it means"  # fmt: skip
    base = expand(only(instructions, "FROM").args, build_args(instructions))
    assert base == "python:3.11-slim"
    assert only(instructions, "EXPOSE").args == str(PORT)


def test_the_server_runs_as_a_user_that_is_not_root(instructions):
    users = [ins for ins in instructions if ins.keyword == "USER"]
    user, _, group = users[-1].args.partition(":")
    assert user not in {"root", "0"} and group not in {"root", "0"}
    last_user = max(i for i, ins in enumerate(instructions) if ins.keyword == "USER")
    cmd_at = next(i for i, ins in enumerate(instructions) if ins.keyword == "CMD")
    assert last_user < cmd_at
    # the numeric user is created in the image (a name alone could not be checked by k8s'
    # runAsNonRoot)
    assert any(f"--uid {user}" in ins.args for ins in instructions if ins.keyword == "RUN")


def test_healthcheck_asks_streamlits_health_endpoint_with_python(instructions):
    health = only(instructions, "HEALTHCHECK")
    command = health.exec_form()
    assert command is not None and command[:2] == ["python", "-c"]
    assert f"http://localhost:{PORT}{HEALTH_PATH}" in command[2]
    assert "--start-period=" in health.args  # torch's import must not count as a failure
    compile(command[2], "HEALTHCHECK", "exec")  # valid Python
    # podman's Docker-compatible API (4.3, Debian bookworm's) splits each argument at spaces
    assert not re.search(r"\s", command[2]), "no whitespace in the probe's code"


def test_cmd_flags_are_options_of_the_installed_streamlit(instructions):
    from streamlit import config

    options = config.get_config_options()
    flags = cmd_flags(instructions)
    for name, value in flags.items():
        assert name in options, f"--{name} is not a Streamlit option"
        kind = options[name].type
        if kind is bool:
            assert value in {"true", "false"}, f"--{name} {value}"
        elif kind is int:
            int(value)
    assert flags["server.address"] == "0.0.0.0"  # reachable from outside the container
    assert flags["server.port"] == str(PORT)
    assert flags["server.headless"] == "true"
    assert (REPO / "app.py").is_file()


def test_torch_pins_equal_requirements_txt(instructions):
    args = build_args(instructions)
    pins = requirement_pins()
    assert args["TORCH_VERSION"] == pins["torch"]
    assert args["TORCHVISION_VERSION"] == pins["torchvision"]
    assert args["TORCH_LOCAL_VERSION"] == "+cpu"
    assert args["TORCH_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"

    runs = [
        (i, expand(ins.args, args)) for i, ins in enumerate(instructions) if ins.keyword == "RUN"
    ]
    torch_at = [i for i, run in runs if f"torch=={pins['torch']}+cpu" in run]
    assert len(torch_at) == 1, "one RUN installs the CPU torch"
    torch_run = dict(runs)[torch_at[0]]
    assert f"torchvision=={pins['torchvision']}+cpu" in torch_run
    assert "--index-url https://download.pytorch.org/whl/cpu" in torch_run.replace('"', "")
    requirements_at = [i for i, run in runs if "pip install -r /app/requirements.txt" in run]
    assert len(requirements_at) == 1 and torch_at[0] < requirements_at[0]


def test_a_cpu_build_satisfies_the_plain_pin():
    """Why installing torch first works: PEP 440 ignores the local label (+cpu) when the pin
    has none, so `pip install -r requirements.txt` keeps the CPU build (pip uses `packaging`)."""
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    pins = requirement_pins()
    for name in ("torch", "torchvision"):
        assert Version(pins[name] + "+cpu") in SpecifierSet("==" + pins[name])


# --- the build context -----------------------------------------------------------------------


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as a regex over slash-separated paths (Go's filepath.Match plus
    `**`, as Docker reads it)."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
            if pattern.startswith("/", i):  # "**/x" also matches "x"
                out = out[:-2] + "(?:.*/)?"
                i += 1
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def dockerignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for line in DOCKERIGNORE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line.lstrip("!").strip().strip("/")
        rules.append((negated, _pattern_regex(pattern)))
    return rules


def excluded(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Whether a repo-relative path stays out of the build context: the last rule that matches
    the path or one of its parent folders decides."""
    parts = path.strip("/").split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    result = False
    for negated, regex in rules:
        if any(regex.match(candidate) for candidate in candidates):
            result = not negated
    return result


def copy_sources(instructions: list[Instruction]) -> list[str]:
    sources = []
    for ins in instructions:
        if ins.keyword != "COPY":
            continue
        words = [w for w in shlex.split(ins.args) if not w.startswith("--")]
        assert not any(w.startswith("--from") for w in shlex.split(ins.args))
        sources += words[:-1]
    return sources


def test_the_ignore_matcher_reads_patterns_as_docker_does():
    rules = [(False, _pattern_regex("**/__pycache__")), (False, _pattern_regex(".git"))]
    assert excluded("__pycache__/x.pyc", rules)
    assert excluded("cnnplay/ops/__pycache__/conv.pyc", rules)
    assert excluded(".git/HEAD", rules)
    assert not excluded(".github/x", rules) and not excluded("cnnplay/ops/conv.py", rules)
    assert not excluded("a.git", rules)
    rules.append((True, _pattern_regex(".git/keep")))
    assert not excluded(".git/keep", rules)


def test_every_copied_path_exists_and_is_in_the_build_context(instructions):
    rules = dockerignore_rules()
    sources = copy_sources(instructions)
    assert {"app.py", "requirements.txt", ".streamlit/", "cnnplay/", "ui/", "views/",
            "assets/"} <= set(sources)  # fmt: skip
    for source in sources:
        path = REPO / source
        assert path.exists(), f"COPY {source}: not in the repository"
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        kept = [
            f for f in files
            if "__pycache__" not in f.parts and not excluded(f.relative_to(REPO).as_posix(), rules)
        ]  # fmt: skip
        assert kept, f"COPY {source}: .dockerignore leaves nothing of it in the build context"
        if source.rstrip("/") in {"assets", ".streamlit"}:
            assert len(kept) == len([f for f in files if "__pycache__" not in f.parts])


def test_dockerignore_keeps_out_the_heavy_and_private_parts_but_never_assets():
    rules = dockerignore_rules()
    kept_out = (
        ".venv/bin/python",
        ".git/HEAD",
        "test-artifacts/x.png",
        "tests/test_grids.py",
        "cnnplay/__pycache__/device.cpython-311.pyc",
        ".streamlit/secrets.toml",  # a hosted demo's secrets never go into an image
    )
    for path in kept_out:
        assert excluded(path, rules), path
    shipped = [p.relative_to(REPO).as_posix() for p in (REPO / "assets").rglob("*") if p.is_file()]
    assert any(p.endswith(".pt") for p in shipped)  # the weights are there to be kept
    for path in [*shipped, "assets", "requirements.txt", "app.py", ".streamlit/config.toml"]:
        assert not excluded(path, rules), path


# --- compose.yaml ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    yaml = pytest.importorskip(
        "yaml",
        reason="PyYAML is not installed (it comes with timm from requirements.txt): "
        "compose.yaml cannot be parsed here",
    )
    return yaml.safe_load(COMPOSE.read_text())


def _resolve(relative: str) -> Path:
    return (COMPOSE.parent / relative).resolve()


def _health_test(service: dict) -> str:
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else test


def test_compose_single_server(compose, instructions):
    app = compose["services"]["app"]
    assert "profiles" not in app  # `docker compose up` starts it and only it
    assert _resolve(app["build"]["context"]) == REPO
    assert REPO / app["build"]["dockerfile"] == DOCKERFILE
    assert f"{PORT}:{PORT}" in [str(p) for p in app["ports"]]
    assert app["restart"] in {"unless-stopped", "always"}
    assert str(app["mem_limit"]).lower() == "3g"
    # the same probe as the image's HEALTHCHECK (podman's OCI images drop that one)
    image_probe = only(instructions, "HEALTHCHECK").exec_form()
    assert app["healthcheck"]["test"] == ["CMD", *image_probe]
    assert f"localhost:{PORT}{HEALTH_PATH}" in _health_test(app)
    env = app["environment"]
    assert env["OMP_WAIT_POLICY"] == "PASSIVE"
    assert {"CNNPLAY_TORCH_THREADS", "CNNPLAY_TRAINING_RUNS"} <= set(env)


def test_compose_replicas_behind_nginx(compose):
    services = compose["services"]
    replicas = [name for name, s in services.items() if "replicas" in s.get("profiles", [])
                and name != "nginx"]  # fmt: skip
    assert replicas == ["app1", "app2"]
    for name in replicas:
        replica = services[name]
        assert replica["image"] == services["app"]["image"]
        assert "ports" not in replica  # reached through nginx only
        assert f"{HEALTH_PATH}" in _health_test(replica)
    nginx = services["nginx"]
    assert nginx["image"] == "nginx:stable" and nginx["profiles"] == ["replicas"]
    assert set(nginx["depends_on"]) == set(replicas)
    host_path, container_path, *_ = nginx["volumes"][0].split(":")
    assert _resolve(host_path) == NGINX_CONF
    assert container_path.startswith("/etc/nginx/conf.d/")
    if NGINX_CONF.exists():  # written alongside: its upstream names the replicas above
        upstream = re.findall(r"^\s*server\s+([\w.-]+):(\d+)\s*;", NGINX_CONF.read_text(), re.M)
        assert upstream and {host for host, _ in upstream} == set(replicas)
        assert {int(port) for _, port in upstream} == {PORT}


# --- the HEALTHCHECK against a real server ---------------------------------------------------


def _run_probe(instructions: list[Instruction], port: int) -> subprocess.CompletedProcess:
    command = only(instructions, "HEALTHCHECK").exec_form()
    assert command is not None
    code = command[2].replace(f"localhost:{PORT}", f"localhost:{port}")
    return subprocess.run(
        [sys.executable, *command[1:2], code], capture_output=True, text=True, timeout=20
    )


def test_healthcheck_command_succeeds_against_streamlit_run_app(instructions, tmp_path):
    from benchmarks import server

    try:
        with server.running_app(tmp_path) as url:
            port = int(url.rsplit(":", 1)[1])
            probe = _run_probe(instructions, port)
            assert probe.returncode == 0, probe.stderr
    except server.ServerError as err:
        pytest.fail(str(err), pytrace=False)
    # the server has stopped: the same probe now reports unhealthy
    assert _run_probe(instructions, port).returncode != 0
