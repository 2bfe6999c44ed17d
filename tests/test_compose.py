"""docker-compose.yml and the Dockerfile, checked without a container engine: the file is read
as YAML, and every program a container would run is checked against the project itself (its
management commands, WSGI application, Celery app and settings)."""

import base64
import http.client
import json
import os
import re
import secrets
import shlex
import subprocess
import sys
import time
from importlib import import_module
from pathlib import Path

import click
import pytest
import yaml
from celery import Celery
from celery.app.utils import find_app
from celery.bin.base import CLIContext
from celery.bin.celery import celery as celery_cli
from celery.worker.control import Panel
from django.core.management import get_commands, load_command_class
from gunicorn.config import Config as GunicornConfig

from portal.logs import HEALTH_PATH
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_IMAGES = {s["image"] for s in SERVICES.values() if "build" in s and "image" in s}
APP_SERVICES = sorted(
    name for name, s in SERVICES.items() if "build" in s or s.get("image") in APP_IMAGES
)
BUILT_SERVICES = sorted(name for name, s in SERVICES.items() if "build" in s)


# --- Reading the files -----------------------------------------------------------------------
def build_paths(service: dict) -> tuple[Path, Path]:
    build = service["build"]
    if isinstance(build, str):
        build = {"context": build}
    context = (ROOT / build.get("context", ".")).resolve()
    return context, context / build.get("dockerfile", "Dockerfile")


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    instructions, pending = [], ""
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        if full:
            keyword, _, rest = full.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def exec_form(arguments: str) -> list[str]:
    return json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)


def dockerfile_cmd(path: Path) -> list[str]:
    return exec_form(
        [args for keyword, args in dockerfile_instructions(path) if keyword == "CMD"][-1]
    )


def dockerignore_patterns(context: Path) -> list[str]:
    path = context / ".dockerignore"
    if not path.exists():
        return []
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _pattern_regex(pattern: str) -> re.Pattern:
    out, i = "", 0
    pattern = pattern.strip("/")
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + "(?:/.*)?")


def ignored(relative: str, patterns: list[str]) -> bool:
    """Whether .dockerignore keeps `relative` (a path inside the context) out of the build."""
    excluded = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        if _pattern_regex(pattern.lstrip("!")).fullmatch(relative):
            excluded = not negate
    return excluded


def compose_argv(command: str | list[str]) -> list[str]:
    """A compose command as the container gets it (`$$` is compose's escape for `$`)."""
    if isinstance(command, str):
        return shlex.split(command.replace("$$", "$"))
    return [str(part).replace("$$", "$") for part in command]


def healthcheck_argv(service: dict) -> list[str]:
    test = service["healthcheck"]["test"]
    if test[0] == "CMD":
        return compose_argv(test[1:])
    return compose_argv(test[1])  # CMD-SHELL: one shell line


def service_argv(name: str) -> list[str]:
    service = SERVICES[name]
    if "command" in service:
        return compose_argv(service["command"])
    return dockerfile_cmd(build_paths(service)[1])


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default}, ${NAME-default} and ${NAME:?error}, with `variables`
    as the shell environment."""

    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, operator, word = match.group("name"), match.group("op"), match.group("word")
        current = variables.get(name)
        if operator == ":?" and not current:
            raise LookupError(f"{name}: {word}")
        if operator == ":-" and not current:
            return word
        if operator == "-" and current is None:
            return word
        return current or ""

    return re.sub(
        r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:-|-|:\?)(?P<word>[^}]*))?\}", replace, str(value)
    )


def app_environment(name: str) -> dict[str, str]:
    environment = SERVICES[name].get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.partition("=")[::2] for item in environment)
    return {key: "" if value is None else str(value) for key, value in environment.items()}


def settings_variables() -> set[str]:
    """Every environment variable portal/settings.py reads (through portal.env or os.environ)."""
    source = (ROOT / "portal" / "settings.py").read_text()
    return set(
        re.findall(
            r"(?:env_\w+\(|os\.environ\.get\(|os\.getenv\(|os\.environ\[)\s*[\"']([A-Z0-9_]+)[\"']",
            source,
        )
    )


# --- Checking one command --------------------------------------------------------------------
def check_manage_py(argv: list[str]) -> None:
    assert len(argv) >= 3, f"no management command in {argv}"
    commands = get_commands()
    name, rest = argv[2], argv[3:]
    assert name in commands, f"`manage.py {name}` is not a management command of the project"
    # Parsing raises CommandError on an option the command doesn't have.
    load_command_class(commands[name], name).create_parser("manage.py", name).parse_args(rest)


def check_gunicorn(argv: list[str]) -> None:
    try:
        options = GunicornConfig().parser().parse_args(argv[1:])
    except SystemExit:
        pytest.fail(f"gunicorn does not accept {argv[1:]}")
    assert len(options.args) == 1, f"gunicorn needs exactly one module:attribute, got {argv}"
    module, _, attribute = options.args[0].partition(":")
    application = getattr(import_module(module), attribute)
    assert callable(application), f"{options.args[0]} is not a WSGI application"


def check_celery(argv: list[str]) -> None:
    takes_value = {
        opt: not (param.is_flag or param.count)
        for param in celery_cli.params
        if isinstance(param, click.Option)
        for opt in param.opts
    }
    app_name, rest, i = None, argv[1:], 0
    while i < len(rest) and rest[i].startswith("-"):
        option, has_value, value = rest[i].partition("=")
        assert option in takes_value, f"celery has no global option {option}"
        if takes_value[option] and not has_value:
            i, value = i + 1, rest[i + 1]
        if option in ("-A", "--app"):
            app_name = value
        i += 1
    assert app_name, f"{argv} does not name the app with -A"
    app = find_app(app_name)
    assert isinstance(app, Celery), f"-A {app_name} finds no Celery app"
    assert app.main == "portal"
    assert i < len(rest), f"no celery subcommand in {argv}"
    subcommand, arguments = rest[i], rest[i + 1 :]
    assert subcommand in celery_cli.commands, f"`celery {subcommand}` is not a celery command"
    parent = click.Context(celery_cli, obj=CLIContext(app=app, no_color=True, workdir=None))
    ctx = celery_cli.commands[subcommand].make_context(subcommand, arguments, parent=parent)
    if subcommand in ("inspect", "control"):
        meta = Panel.meta.get(ctx.params["command"])
        assert meta and meta.type == subcommand, f"{argv}: no such remote command"


def check_app_command(argv: list[str]) -> None:
    program = Path(argv[0]).name
    if program in ("python", "python3") and argv[1:2] == ["manage.py"]:
        check_manage_py(argv)
    elif program in ("python", "python3") and argv[1:2] == ["-c"]:
        compile(argv[2], "<healthcheck>", "exec")
    elif program == "gunicorn":
        check_gunicorn(argv)
    elif program == "celery":
        check_celery(argv)
    else:
        pytest.fail(f"don't know how to check {argv}")


# --- The tests -------------------------------------------------------------------------------
def test_it_runs_the_database_the_cache_and_every_process_of_the_app():
    assert {"postgres", "redis", "migrate", "web", "worker", "beat"} <= set(SERVICES)
    assert set(APP_SERVICES) >= {"migrate", "web", "worker", "beat"}
    assert SERVICES["postgres"]["image"].startswith("postgres:16")
    assert SERVICES["redis"]["image"].startswith("redis:7")


def test_every_service_has_an_image_or_builds_one():
    for name, service in SERVICES.items():
        assert "image" in service or "build" in service, name


@pytest.mark.parametrize("name", BUILT_SERVICES)
def test_the_dockerfile_and_what_it_copies_are_in_the_repository(name):
    context, dockerfile = build_paths(SERVICES[name])
    assert dockerfile.is_file(), f"{name} builds from {dockerfile}, which does not exist"
    patterns = dockerignore_patterns(context)
    copies = [
        args for keyword, args in dockerfile_instructions(dockerfile) if keyword in ("COPY", "ADD")
    ]
    assert copies
    for arguments in copies:
        parts = exec_form(arguments)
        if any(part.startswith("--from") for part in parts):
            continue
        sources = [part for part in parts if not part.startswith("--")][:-1]
        for source in sources:
            matches = list(context.glob(source)) if source != "." else [context]
            assert matches, f"{dockerfile.name} copies {source}, which is not in the repository"
            if source != ".":
                assert not ignored(source, patterns), f".dockerignore leaves out {source}"


def test_the_image_gets_the_code_and_not_the_local_clutter():
    patterns = dockerignore_patterns(ROOT)
    for needed in (
        "manage.py",
        "pyproject.toml",
        "constraints.txt",
        "portal/settings.py",
        "scheduling/models.py",
        "templates",
        "static/css/portal.css",
    ):
        assert not ignored(needed, patterns), f".dockerignore leaves out {needed}"
    for clutter in (
        ".venv/bin/python",
        ".git/HEAD",
        "var/portal.sqlite3",
        "staticfiles/x.css",
        "portal/__pycache__/settings.cpython-311.pyc",
        ".pytest_cache/v",
    ):
        assert ignored(clutter, patterns), f".dockerignore lets {clutter} into the image"


def test_the_image_runs_as_a_non_root_user_and_collects_static_files_at_build_time():
    instructions = dockerfile_instructions(ROOT / "Dockerfile")
    users = [args for keyword, args in instructions if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    runs = " ".join(args for keyword, args in instructions if keyword == "RUN")
    assert "manage.py collectstatic --noinput" in runs
    assert re.search(r"pip install -c \S*constraints\.txt", runs), "installs unpinned"
    # The throwaway key used for collectstatic must not stay in the image's environment.
    env = " ".join(args for keyword, args in instructions if keyword in ("ENV", "ARG"))
    assert "DJANGO_SECRET_KEY" not in env
    assert ("EXPOSE", "8000") in instructions


@pytest.mark.parametrize("name", APP_SERVICES)
def test_each_app_process_runs_a_command_the_project_has(name):
    check_app_command(service_argv(name))


def test_the_image_default_command_is_the_web_server():
    check_app_command(dockerfile_cmd(ROOT / "Dockerfile"))
    assert service_argv("web")[0] == "gunicorn"
    # The same server either way, so the access-log test below covers both.
    assert dockerfile_cmd(ROOT / "Dockerfile") == service_argv("web")
    assert service_argv("migrate")[:4] == ["python", "manage.py", "migrate", "--noinput"]
    assert service_argv("worker")[3] == "worker"
    assert service_argv("beat")[3] == "beat"


@pytest.mark.parametrize("name", sorted(n for n, s in SERVICES.items() if "healthcheck" in s))
def test_healthchecks_use_the_exec_or_shell_form(name):
    test = SERVICES[name]["healthcheck"]["test"]
    assert isinstance(test, list) and test[0] in ("CMD", "CMD-SHELL"), test
    if test[0] == "CMD-SHELL":
        assert len(test) == 2, "CMD-SHELL takes one shell line"
    if name in APP_SERVICES:
        check_app_command(healthcheck_argv(SERVICES[name]))


def test_the_worker_healthcheck_pings_its_own_node():
    argv = healthcheck_argv(SERVICES["worker"])
    assert SERVICES["worker"]["healthcheck"]["test"][0] == "CMD-SHELL"  # $HOSTNAME needs a shell
    assert "inspect" in argv and "ping" in argv
    assert "celery@$HOSTNAME" in argv


def test_the_web_healthcheck_wants_a_200_from_the_health_endpoint():
    argv = healthcheck_argv(SERVICES["web"])
    assert argv[:2] == ["python", "-c"]
    assert f'"GET", "{HEALTH_PATH}"' in argv[2] and "8000" in argv[2]
    assert "status == 200" in argv[2]


def serve(
    tmp_path: Path, requests: list[tuple[str, dict[str, str]]], extra_args: tuple[str, ...] = ()
) -> tuple[list[int], str]:
    """Run the web service's own command on a free port with the embedded defaults (SQLite in
    memory, local cache, tasks in-process), GET each (path, headers), stop it; the statuses
    and everything it logged."""
    argv = service_argv("web")
    assert argv[0] == "gunicorn"
    argv = [sys.executable, "-m", "gunicorn", *argv[1:], *extra_args]
    port = free_port()
    argv[argv.index("--bind") + 1] = f"127.0.0.1:{port}"
    argv[argv.index("--workers") + 1] = "1"
    embedded = {"DATABASE_URL": "sqlite:///:memory:", "REDIS_URL": "", "CELERY_BROKER_URL": ""}
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            argv, cwd=ROOT, env={**os.environ, **embedded}, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            statuses = [get(port, path, headers=headers) for path, headers in requests]
        finally:
            server.terminate()
            server.wait(timeout=30)
    return statuses, log_path.read_text()


def test_the_web_server_leaves_health_probes_out_of_its_access_log(tmp_path):
    statuses, log = serve(tmp_path, [(HEALTH_PATH, {}), ("/no-such-page/", {})])
    assert statuses == [200, 404], log
    assert '"GET /no-such-page/ HTTP/1.1" 404' in log
    assert HEALTH_PATH not in log


def test_the_web_server_keeps_device_tokens_out_of_its_logs(tmp_path):
    """Tokens in a path, a query string (as Overland sends them) and Authorization headers,
    with an access log format that writes the header and the Basic user too: neither the
    access log nor Django's request log (a 404 and a 401 warning) holds one."""
    in_path = "fpt_" + "p" * 43
    in_query = "fpt_" + "q" * 43
    in_bearer = "not-a-device-token-but-secret-all-the-same"
    in_basic = base64.b64encode(b"fpt_" + b"u" * 43 + b":pw-secret").decode()
    statuses, log = serve(
        tmp_path,
        [
            (f"/no-such-page/{in_path}/?token={in_query}", {}),
            (f"/api/tech/v1/me?token={in_query}", {"Authorization": f"Bearer {in_bearer}"}),
            ("/api/tech/v1/me", {"Authorization": f"Basic {in_basic}"}),
        ],
        ("--access-logformat", '%(u)s "%(r)s" %(s)s "%({authorization}i)s"'),
    )
    assert statuses == [404, 401, 401], log
    assert "Not Found: /no-such-page/fpt_[scrubbed]/" in log  # Django's request log
    assert "Unauthorized: /api/tech/v1/me" in log
    assert '"GET /api/tech/v1/me?token=[scrubbed] HTTP/1.1" 401 "Bearer [scrubbed]"' in log
    assert 'fpt_[scrubbed] "GET /api/tech/v1/me HTTP/1.1" 401 "Basic [scrubbed]"' in log
    for secret in (in_path, in_query, in_bearer, in_basic, "uuuuuuuu", "pw-secret"):
        assert secret not in log


def get(port: int, path: str, *, headers: dict | None = None, timeout: float = 30.0) -> int:
    """GET `path` from the server on `port` once it accepts connections; the status."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", path, headers={"Host": "127.0.0.1", **(headers or {})})
            return connection.getresponse().status
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_variable_given_to_the_app_is_a_setting_it_reads(name):
    known = settings_variables()
    assert {"DJANGO_DEBUG", "DJANGO_SECRET_KEY", "DATABASE_URL", "MAIL_MAX_RETRIES"} <= known
    unknown = set(app_environment(name)) - known
    assert not unknown, f"{name} sets {sorted(unknown)}, which portal/settings.py never reads"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_the_app_runs_in_production_mode_and_needs_a_secret_key(name):
    environment = app_environment(name)
    assert environment["DJANGO_DEBUG"] == "false"
    with pytest.raises(LookupError, match="DJANGO_SECRET_KEY"):
        interpolate(environment["DJANGO_SECRET_KEY"], {})
    assert environment["DATABASE_URL"].startswith("postgres://")
    assert "@postgres:5432/" in environment["DATABASE_URL"]
    assert environment["REDIS_URL"].startswith("redis://redis:6379/")
    assert environment["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
    assert environment["REDIS_URL"] != environment["CELERY_BROKER_URL"]


def test_the_defaults_of_the_compose_file_make_valid_deploy_settings():
    """With only a secret key set, the settings load and pass the deploy checks, except the
    https redirect, which the compose file leaves to the TLS proxy in front."""
    variables = {"DJANGO_SECRET_KEY": secrets.token_urlsafe(64)}
    environment = {k: interpolate(v, variables) for k, v in app_environment("web").items()}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    reported = set(re.findall(r"\(([\w.]+\.[EW]\d+)\)", result.stdout + result.stderr))
    assert reported <= {"security.W008"}, result.stdout + result.stderr


def test_web_starts_after_migrations_and_healthy_database_and_cache():
    depends_on = SERVICES["web"]["depends_on"]
    assert depends_on["postgres"]["condition"] == "service_healthy"
    assert depends_on["redis"]["condition"] == "service_healthy"
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"
    assert SERVICES["web"]["ports"] == ["8000:8000"]


def test_every_dependency_exists_and_can_become_healthy():
    for name, service in SERVICES.items():
        depends_on = service.get("depends_on") or {}
        if isinstance(depends_on, list):
            depends_on = {dependency: {} for dependency in depends_on}
        for dependency, spec in depends_on.items():
            assert dependency in SERVICES, f"{name} depends on unknown {dependency}"
            if spec.get("condition") == "service_healthy":
                assert "healthcheck" in SERVICES[dependency], f"{dependency} has no healthcheck"
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert SERVICES["migrate"].get("restart", "no") == "no"


def test_postgres_keeps_its_data_in_a_named_volume():
    volumes = SERVICES["postgres"]["volumes"]
    named = [v.split(":")[0] for v in volumes if ":" in v and not v.startswith((".", "/"))]
    assert named and all(volume in COMPOSE["volumes"] for volume in named)
    env = SERVICES["postgres"]["environment"]
    url = app_environment("web")["DATABASE_URL"]
    assert url == (
        f"postgres://{env['POSTGRES_USER']}:{env['POSTGRES_PASSWORD']}@postgres:5432/"
        f"{env['POSTGRES_DB']}"
    )
