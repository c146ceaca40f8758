"""The deployment files: Dockerfile, .dockerignore, compose.yaml and the systemd units.

There is no Docker daemon in CI, so the Dockerfile is tested by what it says and by doing what it
does: its build context (as .dockerignore leaves it) is copied to a temporary folder, its `pip install`
runs there into a fresh venv, and the image's entry point, HEALTHCHECK and calendar command run from
that venv with the image's ENV (with /data pointing at a temporary folder). That install needs the
package registry: it takes up to a minute or two and is skipped, saying why, when the registry cannot
be reached. Nothing else touches the network; the calendar server listens on 127.0.0.1 only.

The systemd units are parsed (configparser) for their command and sandbox, and checked with
`systemd-analyze verify` (and `security --offline`) where systemd-analyze exists.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path, PurePosixPath

import pytest
import yaml

from monitor.deliver.calendar import calendar_token

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
COMPOSE = ROOT / "compose.yaml"
UNITS = ROOT / "deploy" / "systemd"
DOCUMENTED_EXIT_CODES = {0, 1, 2, 3}  # README: "exit code | meaning"


# ---------------------------------------------------------------------------- Dockerfile parsing


def parse_dockerfile(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction: comments dropped, backslash continuations joined."""
    instructions: list[tuple[str, str]] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if current and line.startswith("#"):  # a comment inside a continued instruction
            continue
        if line.endswith("\\"):
            current += line[:-1].rstrip() + " "
            continue
        current += line
        keyword, _, rest = current.strip().partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
        current = ""
    assert not current, "the Dockerfile ends inside a continued line"
    return instructions


def exec_form(arguments: str) -> list[str]:
    """The argv of an exec-form (JSON) ENTRYPOINT/CMD; shell form is refused (no signals for PID 1)."""
    assert arguments.startswith("["), f"use the exec (JSON) form so signals reach monitor: {arguments}"
    argv = json.loads(arguments)
    assert isinstance(argv, list) and all(isinstance(a, str) for a in argv)
    return argv


def dockerfile_env(instructions: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, arguments in instructions:
        if keyword != "ENV":
            continue
        words = shlex.split(arguments)
        if "=" not in words[0]:  # the legacy `ENV KEY value` form
            env[words[0]] = " ".join(words[1:])
            continue
        for word in words:
            key, _, value = word.partition("=")
            env[key] = value
    return env


def healthcheck(arguments: str) -> tuple[dict[str, str], list[str]]:
    """HEALTHCHECK [--option=value ...] CMD [...] -> (options, argv)."""
    options: dict[str, str] = {}
    rest = arguments
    while rest.startswith("--"):
        option, _, rest = rest.partition(" ")
        name, _, value = option[2:].partition("=")
        options[name] = value
        rest = rest.lstrip()
    keyword, _, command = rest.partition(" ")
    assert keyword.upper() == "CMD", f"HEALTHCHECK should run a command: {arguments}"
    return options, exec_form(command.strip())


def seconds(duration: str) -> float:
    """A Docker/compose duration (30s, 5m, 1h30m) in seconds."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, f"not a duration: {duration}"
    return sum(float(n) * units[u] for n, u in parts)


INSTRUCTIONS = parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))


def _all(keyword: str) -> list[str]:
    return [arguments for kw, arguments in INSTRUCTIONS if kw == keyword]


def _last(keyword: str) -> str:
    found = _all(keyword)
    assert found, f"the Dockerfile has no {keyword}"
    return found[-1]


def image_command() -> list[str]:
    """ENTRYPOINT + CMD, as `docker run IMAGE` runs them."""
    entrypoint = exec_form(_last("ENTRYPOINT")) if _all("ENTRYPOINT") else []
    cmd = exec_form(_last("CMD")) if _all("CMD") else []
    return entrypoint + cmd


def install_command() -> list[str]:
    """The `pip install` of the Dockerfile's RUN instructions, as argv."""
    for arguments in _all("RUN"):
        for part in re.split(r"&&|;", arguments):
            words = shlex.split(part)
            if words[:2] == ["pip", "install"] or words[:4] == ["python", "-m", "pip", "install"]:
                return words
    raise AssertionError("no RUN pip install in the Dockerfile")


def test_the_dockerfile_parser_joins_continuations_and_reads_both_env_forms():
    parsed = parse_dockerfile("# c\nFROM x\nENV A=1 \\\n    B=\"two words\"\n# c\nENV C 3\nRUN a \\\n# inside\n && b\n")
    assert parsed == [("FROM", "x"), ("ENV", 'A=1 B="two words"'), ("ENV", "C 3"), ("RUN", "a && b")]
    assert dockerfile_env(parsed) == {"A": "1", "B": "two words", "C": "3"}
    assert healthcheck('--interval=5m --retries=3 CMD ["a", "b"]') == ({"interval": "5m", "retries": "3"}, ["a", "b"])
    assert seconds("1h30m") == 5400


def test_the_image_is_python_311_slim_and_installs_the_project_without_dev_dependencies():
    assert _all("FROM") == ["python:3.11-slim"]
    argv = install_command()
    assert "." in argv[argv.index("install") + 1:], "the project from the build context: pip install ."
    assert not {"-e", "--editable", "--user"} & set(argv), argv
    assert not any("[" in word for word in argv), f"no extras (the test dependencies stay out): {argv}"
    assert any(kw == "COPY" and args.split()[0] == "." for kw, args in INSTRUCTIONS), "COPY . (the build context)"


def test_the_image_runs_the_scheduler_as_the_non_root_user_monitor_with_data_on_a_volume():
    names = [kw for kw, _ in INSTRUCTIONS]
    user = _last("USER").split(":")[0]
    assert user == "monitor", f"USER {user}: run as the unprivileged user monitor"
    assert names.index("USER") > max(i for i, (kw, args) in enumerate(INSTRUCTIONS) if kw == "RUN"), \
        "install as root, then USER monitor: nothing after it may need root"
    useradd = [part for args in _all("RUN") for part in args.split("&&") if "useradd" in part]
    assert len(useradd) == 1 and shlex.split(useradd[0])[-1] == "monitor", "the image creates the user monitor"
    assert "--system" in useradd[0] and "/usr/sbin/nologin" in useradd[0]

    assert image_command() == ["monitor", "schedule"], "`docker run IMAGE` runs the scheduler"
    assert exec_form(_last("ENTRYPOINT")) == ["monitor"], "other commands: `docker run IMAGE sources`"

    volumes = [v for args in _all("VOLUME") for v in (json.loads(args) if args.startswith("[") else args.split())]
    assert volumes == ["/data"]
    env = dockerfile_env(INSTRUCTIONS)
    assert env["MONITOR_CONFIG"] == "/data"
    assert env["MONITOR_DB"] == "/data/monitor.db"
    assert PurePosixPath(env["MONITOR_DB"]).parent == PurePosixPath("/data"), "the database (and its lock) on the volume"
    assert env["PYTHONUNBUFFERED"] == "1", "log lines reach `docker logs` at once"
    assert not any("PASSWORD" in key for key in env), "secrets come from the environment at run time, never the image"
    assert _last("WORKDIR") == "/data"


def test_the_healthcheck_is_sources_check_with_room_for_the_first_kamer_sync():
    options, argv = healthcheck(_last("HEALTHCHECK"))
    assert argv == ["monitor", "sources", "--check", "-q"]
    assert seconds(options["start-period"]) >= 15 * 60, "the first Kamer sync takes a while"
    assert seconds(options["interval"]) >= 60, "no need to open the database every few seconds"
    assert seconds(options["timeout"]) >= 30, "the database may be busy (busy_timeout is 30 s)"


# ---------------------------------------------------------------------------- .dockerignore


def dockerignore_rules(text: str) -> list[tuple[bool, re.Pattern[str]]]:
    """(negated, regex) per pattern, in Docker's dialect: anchored at the context, `**` any depth."""
    rules = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line[1:].strip() if negated else line
        pattern = os.path.normpath(pattern).lstrip("/")
        regex, i = "", 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                regex, i = regex + "(?:.*/)?", i + 3
            elif pattern.startswith("**", i):
                regex, i = regex + ".*", i + 2
            elif pattern[i] == "*":
                regex, i = regex + "[^/]*", i + 1
            elif pattern[i] == "?":
                regex, i = regex + "[^/]", i + 1
            else:
                assert pattern[i] != "[", f"character classes are not handled by this test: {line}"
                regex, i = regex + re.escape(pattern[i]), i + 1
        rules.append((negated, re.compile(regex)))
    return rules


RULES = dockerignore_rules(DOCKERIGNORE.read_text(encoding="utf-8"))


def ignored(relative: str) -> bool:
    """Whether Docker leaves `relative` (a/b/c) out of the build context: the last matching rule wins,
    and a rule matching a parent folder matches everything in it."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    result = False
    for negated, regex in RULES:
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            result = not negated
    return result


def build_context(destination: Path) -> Path:
    """Copy the repository as `docker build .` would see it (what COPY . . gets)."""
    negations = any(negated for negated, _ in RULES)
    for folder, dirs, files in os.walk(ROOT):
        relative_folder = Path(folder).relative_to(ROOT)
        if not negations:  # nothing inside an ignored folder can come back: skip it
            dirs[:] = [d for d in dirs if not ignored((relative_folder / d).as_posix())]
        for name in files:
            relative = (relative_folder / name).as_posix()
            if not ignored(relative):
                target = destination / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(Path(folder) / name, target)
    return destination


@pytest.mark.parametrize("path", [
    ".venv/bin/python", ".git/HEAD", "monitor.db", "data/monitor.db", "data/sources.yaml", "x/y/monitor.db-wal",
    "monitor.db.lock", "monitor.db.lock.holder", "secrets.env", ".env", "monitor/__pycache__/cli.cpython-311.pyc",
    ".pytest_cache/v/cache/nodeids", ".hypothesis/examples/x", "tests/test_store.py", "benchmarks/rules_bench.py",
    "out/report.html", "build/lib/monitor/cli.py", "dist/monitor-0.1.0.whl", "monitor.egg-info/PKG-INFO",
])
def test_dockerignore_keeps_environments_caches_databases_and_secrets_out(path):
    assert ignored(path), f"{path} would be sent to the Docker daemon and copied into the image"


@pytest.mark.parametrize("path", [
    "pyproject.toml", "README.md", "monitor/cli.py", "monitor/starter/rules.yaml",
    "monitor/render/templates/report.html.j2", "monitor/demo/data/tk/Activiteit/page-1.xml", "monitor/demo/data/feeds/a.xml",
])
def test_dockerignore_keeps_what_pip_install_needs(path):
    assert not ignored(path), f"{path} is needed to build and install the package"


def test_the_build_context_has_the_package_and_nothing_private(tmp_path):
    context = build_context(tmp_path / "context")
    files = {p.relative_to(context).as_posix() for p in context.rglob("*") if p.is_file()}
    assert {"pyproject.toml", "README.md", "monitor/__init__.py", "monitor/cli.py"} <= files
    assert any(f.startswith("monitor/starter/") for f in files)
    assert not [f for f in files if f.endswith((".db", ".pyc", ".env")) or f.startswith((".venv/", ".git/", "tests/"))]
    assert sum((context / f).stat().st_size for f in files) < 20 * 1024 * 1024, "a small context"


# ---------------------------------------------------------------------------- compose.yaml


COMPOSE_TEXT = COMPOSE.read_text(encoding="utf-8")
SERVICES = yaml.safe_load(COMPOSE_TEXT)["services"]  # safe_load resolves the `<<: *monitor` merge keys


def test_compose_runs_the_scheduler_with_the_data_volume_and_the_secrets_file():
    scheduler = SERVICES["scheduler"]
    assert scheduler["build"]["context"] == "."
    assert "./data:/data" in scheduler["volumes"]
    assert scheduler["restart"] == "unless-stopped"
    env_files = [e if isinstance(e, str) else e["path"] for e in scheduler["env_file"]]
    assert env_files == ["./secrets.env"]
    assert ignored("secrets.env") and ignored("data"), "the secrets file and the data never go into the image"
    assert scheduler.get("command", image_command()[1:]) == ["schedule"]
    # Docker's default 10 s would kill a running Kamer fetch; systemd's unit allows 300 s.
    assert seconds(scheduler["stop_grace_period"]) >= 300
    assert "MONITOR_SMTP_PASSWORD" not in json.dumps(scheduler.get("environment", {})), "the password stays in secrets.env"


def test_compose_serves_the_lobbykalender_on_8080_from_the_same_volume():
    calendar = SERVICES["calendar"]
    assert calendar["volumes"] == SERVICES["scheduler"]["volumes"]
    assert calendar["build"] == SERVICES["scheduler"]["build"], "the same image"
    command = calendar["command"]
    assert command[:2] == ["calendar", "--serve"]
    assert command[command.index("--host") + 1] == "0.0.0.0", "inside the container: reachable through the port mapping"
    assert command[command.index("--port") + 1] == "8080"
    (port,) = calendar["ports"]
    assert str(port).endswith(":8080:8080") or str(port) == "8080:8080"
    assert calendar["stop_signal"] == "SIGINT", "as PID 1 it would ignore SIGTERM"
    assert "/health" in " ".join(calendar["healthcheck"]["test"]), "its own check, not `sources --check`"


def test_compose_keeps_a_placeholder_for_the_web_view():
    assert re.search(r"^\s*#.*web view, once it exists", COMPOSE_TEXT, re.M | re.I)
    assert re.search(r"^\s*#\s*web:", COMPOSE_TEXT, re.M)
    assert "web" not in SERVICES


# ---------------------------------------------------------------------------- the image's commands, in a venv


PIP_OFFLINE = re.compile(
    r"NewConnectionError|Failed to establish a new connection|Temporary failure in name resolution|Name or service not known"
    r"|Network is unreachable|No route to host|Connection refused|ProxyError|ConnectTimeout|Read timed out|SSLError"
    r"|Could not find a version that satisfies|No matching distribution found"
)


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MONITOR_", "VIRTUAL_ENV", "PYTHON"))}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def image_venv(tmp_path_factory):
    """The Dockerfile's install, done in a fresh venv from its build context: (venv, context)."""
    base = tmp_path_factory.mktemp("image")
    context = build_context(base / "context")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=120)
    argv = install_command()
    argv = [str(venv / "bin" / "pip"), *argv[argv.index("install"):]]
    env = _clean_env(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_DEFAULT_TIMEOUT="30", PIP_RETRIES="1", PYTHONNOUSERSITE="1")
    try:
        result = subprocess.run(argv, cwd=context, env=env, capture_output=True, text=True, timeout=240)
    except subprocess.TimeoutExpired:
        pytest.skip("the package registry is too slow: `pip install .` took over 4 minutes")
    if result.returncode != 0:
        output = result.stdout + result.stderr
        offline = [line.strip() for line in output.splitlines() if PIP_OFFLINE.search(line)]
        if offline:
            pytest.skip(f"the package registry cannot be reached, so the image's `pip install .` cannot be tried: {offline[0][:300]}")
        pytest.fail(f"the Dockerfile's `{' '.join(install_command())}` fails:\n{output[-4000:]}")
    return venv, context


def image_env(venv: Path, data: Path) -> dict[str, str]:
    """The image's ENV, with /data at `data`, and its venv first on PATH (as /usr/local/bin is)."""
    env = {k: v.replace("/data", str(data)) for k, v in dockerfile_env(INSTRUCTIONS).items() if not k.startswith("PIP_")}
    env.update(PATH=f"{venv / 'bin'}:/usr/bin:/bin", HOME=str(data), LANG="C.UTF-8")
    return env


def _run(argv: list[str], venv: Path, data: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    executable = shutil.which(argv[0], path=str(venv / "bin"))
    assert executable, f"{argv[0]} is not installed in the image's venv"
    return subprocess.run([executable, *argv[1:]], cwd=data, env=image_env(venv, data), capture_output=True, text=True, timeout=timeout)


def test_the_image_installs_only_the_project_and_its_dependencies(image_venv):
    venv, _ = image_venv
    python = venv / "bin" / "python"
    for module in ("pytest", "hypothesis", "aiosmtpd", "jsonschema"):
        found = subprocess.run([python, "-c", f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is not None)"], timeout=60)
        assert found.returncode == 0, f"{module} (a test dependency) is installed in the image"
    where = subprocess.run([python, "-c", "import monitor; print(monitor.__file__)"], capture_output=True, text=True, timeout=60, cwd="/")
    assert str(venv) in where.stdout, "a real install, not the source tree"


def test_the_entry_point_runs(image_venv, tmp_path):
    venv, _ = image_venv
    data = tmp_path / "data"
    data.mkdir()
    result = _run([*image_command(), "--help"], venv, data)
    assert result.returncode == 0, result.stderr
    assert "usage: monitor schedule" in result.stdout
    assert "Traceback" not in result.stderr


def test_init_writes_the_starter_configuration_onto_the_volume(image_venv, tmp_path):
    venv, _ = image_venv
    data = tmp_path / "data"
    data.mkdir()
    result = _run([exec_form(_last("ENTRYPOINT"))[0], "init"], venv, data)  # docker compose run --rm scheduler init
    assert result.returncode == 0, result.stderr
    assert (data / "sources.yaml").is_file() and (data / "rules.yaml").is_file()
    checked = _run(["monitor", "rules", "check"], venv, data)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_healthcheck_on_a_database_never_fetched_says_unhealthy_without_a_traceback(image_venv, tmp_path):
    venv, _ = image_venv
    data = tmp_path / "data"
    data.mkdir()
    for name in ("sources.yaml", "rules.yaml"):
        shutil.copy(ROOT / name, data / name)
    _, argv = healthcheck(_last("HEALTHCHECK"))
    result = _run(argv, venv, data)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in DOCUMENTED_EXIT_CODES
    assert result.returncode == 3, f"every source never worked: exit 3 (unhealthy), got {result.returncode}: {result.stderr}"
    assert (data / "monitor.db").is_file(), "MONITOR_DB puts the database on the volume"


def _free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_compose_calendar_command_serves_the_lobbykalender(image_venv, tmp_path):
    venv, _ = image_venv
    data = tmp_path / "data"
    data.mkdir()
    for name in ("sources.yaml", "rules.yaml"):
        shutil.copy(ROOT / name, data / name)
    command = list(SERVICES["calendar"]["command"])
    port = _free_loopback_port()
    command[command.index("--host") + 1] = "127.0.0.1"  # loopback only in a test
    command[command.index("--port") + 1] = str(port)
    argv = [*exec_form(_last("ENTRYPOINT")), *command]
    executable = shutil.which(argv[0], path=str(venv / "bin"))
    process = subprocess.Popen([executable, *argv[1:]], cwd=data, env=image_env(venv, data),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stderr: list[str] = []
    reader = threading.Thread(target=lambda: stderr.extend(process.stderr), daemon=True)
    reader.start()
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy for loopback
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with opener.open(f"http://127.0.0.1:{port}/health", timeout=10) as response:  # compose's healthcheck
                    assert response.status == 200
                    break
            except OSError:
                time.sleep(0.2)
        secret = (data / "monitor.db.calendar-secret").read_bytes().strip()  # made by the server, next to the database
        with opener.open(f"http://127.0.0.1:{port}/kalender/{calendar_token(secret, 'alle')}/alle.ics", timeout=10) as response:
            body = response.read()
        assert body.startswith(b"BEGIN:VCALENDAR"), f"the calendar did not answer (exit {process.poll()}): {''.join(stderr)}"
        try:
            opener.open(f"http://127.0.0.1:{port}/kalender/alle.ics", timeout=10)
            raise AssertionError("served without its token")
        except urllib.error.HTTPError as refused:
            assert refused.code == 404
    finally:
        process.send_signal(signal.SIGINT)  # compose's stop_signal
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        reader.join(timeout=10)
    assert code == 0, "".join(stderr)
    assert "Traceback" not in "".join(stderr)


# ---------------------------------------------------------------------------- systemd units


class _MultiDict(dict):
    """configparser storage keeping every value of a repeated key (SystemCallFilter= twice)."""

    def __setitem__(self, key, value):
        if isinstance(value, list) and key in self and isinstance(self[key], list):
            self[key].extend(value)
        else:
            super().__setitem__(key, value)


def read_unit(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, dict_type=_MultiDict, empty_lines_in_values=False,
                                          delimiters=("=",), comment_prefixes=("#", ";"), inline_comment_prefixes=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    return parser


def values(unit: configparser.RawConfigParser, key: str, section: str = "Service") -> list[str]:
    return unit.get(section, key, fallback="").split("\n") if unit.has_option(section, key) else []


SANDBOX = {
    "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ReadWritePaths": "/var/lib/monitor", "StateDirectory": "monitor",
    "ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes", "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes", "ProtectKernelLogs": "yes", "ProtectControlGroups": "yes",
    "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX", "RestrictNamespaces": "yes", "LockPersonality": "yes",
    "CapabilityBoundingSet": "", "SystemCallArchitectures": "native",
}


@pytest.mark.parametrize(("name", "command"), [
    ("monitor.service", ["schedule"]),
    ("monitor-calendar.service", ["calendar", "--serve"]),
])
def test_the_units_run_monitor_as_monitor_with_config_and_database_from_the_environment(name, command):
    unit = read_unit(UNITS / name)
    assert unit.get("Service", "User") == "monitor"
    (exec_start,) = values(unit, "ExecStart")
    argv = shlex.split(exec_start)
    assert argv[0] == "/opt/monitor/.venv/bin/monitor"
    assert argv[1:1 + len(command)] == command
    assert not {"--config", "--db", "--now"} & set(argv), "config and database come from Environment="
    env = dict(word.split("=", 1) for line in values(unit, "Environment") for word in shlex.split(line))
    assert env == {"MONITOR_CONFIG": "/etc/monitor", "MONITOR_DB": "/var/lib/monitor/monitor.db"}
    writable = values(unit, "ReadWritePaths")[0].split()
    assert any(PurePosixPath(env["MONITOR_DB"]).parent == PurePosixPath(p) for p in writable), "database, WAL and lock writable"
    assert PurePosixPath("/var/lib") / unit.get("Service", "StateDirectory") == PurePosixPath(env["MONITOR_DB"]).parent
    assert unit.get("Service", "Restart") == "on-failure"
    assert unit.get("Install", "WantedBy") == "multi-user.target"
    assert not [line for line in (UNITS / name).read_text(encoding="utf-8").splitlines() if "PASSWORD=" in line and not line.startswith("#")]


def test_the_scheduler_unit_reads_the_secrets_file_and_gets_time_to_finish_its_jobs():
    unit = read_unit(UNITS / "monitor.service")
    assert values(unit, "EnvironmentFile") == ["-/etc/monitor/secrets.env"]
    assert seconds(unit.get("Service", "TimeoutStopSec") + "s") >= 300
    assert unit.get("Service", "KillSignal", fallback="SIGTERM") == "SIGTERM"
    assert "network-online.target" in unit.get("Unit", "After")


def test_the_calendar_unit_stops_cleanly_and_listens_where_sources_yaml_says():
    unit = read_unit(UNITS / "monitor-calendar.service")
    assert unit.get("Service", "KillSignal") == "SIGINT", "Ctrl-C is `calendar --serve`'s clean stop"
    assert "--host" not in values(unit, "ExecStart")[0], "the default (calendar.host or 127.0.0.1): loopback"


@pytest.mark.parametrize("name", ["monitor.service", "monitor-calendar.service"])
def test_the_units_are_sandboxed(name):
    unit = read_unit(UNITS / name)
    for key, expected in SANDBOX.items():
        assert unit.has_option("Service", key), f"{name}: no {key}="
        assert values(unit, key)[-1] == expected, f"{name}: {key}={values(unit, key)}"
    filters = values(unit, "SystemCallFilter")
    assert "@system-service" in filters and any(f.startswith("~") for f in filters)
    assert values(unit, "AmbientCapabilities") == [""]
    assert unit.get("Service", "MemoryDenyWriteExecute") in ("yes", "no")
    text = (UNITS / name).read_text(encoding="utf-8")
    assert re.search(r"^#.*\bJIT\b", text, re.M), "the MemoryDenyWriteExecute decision is explained"
    assert not unit.has_option("Service", "ProcSubset"), "filelock reads /proc/sys/kernel (boot_id, overflowuid)"
    assert re.search(r"^#\s+.*systemctl .*enable --now", text, re.M), "install steps at the top"


def _systemd_analyze() -> str:
    tool = shutil.which("systemd-analyze")
    if not tool:
        pytest.skip("systemd-analyze is not installed")
    return tool


def _unit_with_executable(name: str, directory: Path) -> Path:
    """A copy of the unit whose ExecStart names a monitor that exists here (verify checks it)."""
    local = Path(sys.executable).parent / "monitor"
    text = (UNITS / name).read_text(encoding="utf-8")
    if local.is_file():
        text = text.replace("ExecStart=/opt/monitor/.venv/bin/monitor", f"ExecStart={local}")
    copy = directory / name
    copy.write_text(text, encoding="utf-8")
    return copy


def test_the_units_pass_systemd_analyze_verify(tmp_path):
    tool = _systemd_analyze()
    units = [_unit_with_executable(name, tmp_path) for name in ("monitor.service", "monitor-calendar.service")]
    result = subprocess.run([tool, "verify", *map(str, units)], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "SYSTEMD_LOG_COLOR": "0", "SYSTEMD_PAGER": "cat"})
    ours = [line for line in (result.stdout + result.stderr).splitlines()
            if line.startswith(("monitor.service", "monitor-calendar.service")) or str(tmp_path) in line]
    # Accepted only when no monitor is installed next to this Python (the unit's /opt path is not here).
    problems = [line for line in ours if not re.search(r"Command /opt/monitor/\.venv/bin/monitor is not executable", line)]
    assert not problems, "\n".join(ours)


def test_the_units_expose_little_to_systemd_analyze_security(tmp_path):
    tool = _systemd_analyze()
    for name in ("monitor.service", "monitor-calendar.service"):
        unit = _unit_with_executable(name, tmp_path)
        result = subprocess.run([tool, "security", "--offline=yes", "--no-pager", str(unit)], capture_output=True, text=True,
                                timeout=120, env={**os.environ, "SYSTEMD_LOG_COLOR": "0", "SYSTEMD_COLORS": "0"})
        found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
        if not found:
            pytest.skip(f"this systemd-analyze has no `security --offline` ({result.stderr.strip()[:200]})")
        assert float(found.group(1)) <= 2.0, result.stdout
