"""The deployment files agree with the code: docker-compose.yml, the Dockerfile and deploy/.

No container engine runs here, so these tests read the files. Names come from the code
(`infra.config.SERVICES`, `infra.migrations.COMPONENTS`), commands from the Procfile: a service
added without its deploy files, or a command or variable that drifts, fails a test here.
"""

import functools
import json
import os
import re
import shlex
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import make_url

from infra import config, launcher
from infra.migrations import COMPONENTS

pytestmark = pytest.mark.unit  # files read as text: no broker, no database

ROOT = config.ROOT
SERVICES = config.SERVICES
INFRASTRUCTURE = ("rabbitmq", "postgres", "prometheus", "migrate")
MIGRATE = ["python", "-m", "infra.migrations"]
CRM_NAME = re.compile(r"\bCRM_[A-Z0-9][A-Z0-9_]*\b")


def database_url_variable(component: str) -> str:
    return f"CRM_{component.upper()}_DATABASE_URL"


def deploy_files() -> list[Path]:
    return [
        ROOT / "docker-compose.yml",
        ROOT / "Dockerfile",
        *sorted((ROOT / "deploy" / "k8s").glob("*.yaml")),
    ]


@functools.cache
def procfile() -> dict[str, tuple[dict[str, str], list[str]]]:
    """Each process: the variables its line sets, and its command without them or `exec`."""
    processes = {}
    for name, command in launcher.procfile().items():
        words = shlex.split(command)
        assignments = {}
        while words and re.fullmatch(r"[A-Za-z_]\w*=.*", words[0]):
            key, _, value = words.pop(0).partition("=")
            assignments[key] = value
        if words[:1] == ["exec"]:
            words.pop(0)
        processes[name] = (assignments, words)
    return processes


def procfile_process(component: str) -> tuple[dict[str, str], list[str]]:
    assert component in procfile(), f"the Procfile has no {component!r} process"
    return procfile()[component]


@functools.cache
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def compose_service(name: str) -> dict:
    services = compose()["services"]
    assert name in services, f"docker-compose.yml has no {name!r} service"
    return services[name]


def compose_environment(name: str) -> dict[str, str]:
    environment = compose_service(name).get("environment") or {}
    if isinstance(environment, list):
        return dict(item.partition("=")[::2] for item in environment)
    return {key: str(value) for key, value in environment.items()}


def as_words(command) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(w) for w in command]


@functools.cache
def k8s_documents() -> tuple[dict, ...]:
    documents = []
    for path in sorted((ROOT / "deploy" / "k8s").glob("*.yaml")):
        documents.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return tuple(documents)


def k8s(kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in k8s_documents() if d.get("kind") == kind}


def k8s_deployment(component: str) -> dict:
    deployments = k8s("Deployment")
    assert component in deployments, f"deploy/k8s/ has no Deployment named {component!r}"
    return deployments[component]


def k8s_container(component: str) -> dict:
    containers = k8s_deployment(component)["spec"]["template"]["spec"]["containers"]
    named = [c for c in containers if c["name"] == component]
    assert named, f"the {component} Deployment has no container named {component!r}"
    return named[0]


def k8s_environment(container: dict) -> dict[str, str]:
    """Every variable a container gets: its own `env` and the ConfigMaps and Secrets it loads
    whole. A value from a secretKeyRef reads `secret:<key>`; the key must exist."""
    config_maps, secrets = k8s("ConfigMap"), k8s("Secret")
    environment = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            name = source["configMapRef"]["name"]
            assert name in config_maps, f"{container['name']} loads a missing ConfigMap {name}"
            environment.update(config_maps[name]["data"])
        if "secretRef" in source:
            name = source["secretRef"]["name"]
            assert name in secrets, f"{container['name']} loads a missing Secret {name}"
            environment.update(secrets[name]["stringData"])
    for variable in container.get("env", []):
        reference = variable.get("valueFrom", {}).get("secretKeyRef")
        if reference:
            keys = secrets.get(reference["name"], {}).get("stringData", {})
            assert reference["key"] in keys, (
                f"{container['name']}: {variable['name']} refers to a missing secret key "
                f"{reference['name']}/{reference['key']}"
            )
            environment[variable["name"]] = f"secret:{reference['key']}"
        else:
            environment[variable["name"]] = str(variable.get("value", ""))
    return environment


def port_of(bind: str) -> int:
    return int(bind.rpartition(":")[2])


@functools.cache
def names_read_by_code() -> frozenset[str]:
    """CRM_* names in the Python source and the services' config.yaml files, tests excluded
    (a test that sets a name proves nothing reads it)."""
    names = set()
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [
            s for s in subfolders if not s.startswith(".") and s not in {"var", "deploy", "tests"}
        ]
        here = Path(folder)
        for file in files:
            if file.endswith(".py") or (file == "config.yaml" and here.parent.name == "services"):
                names |= set(CRM_NAME.findall((here / file).read_text(encoding="utf-8")))
    return frozenset(names)


def database_urls_read_by_code(monkeypatch) -> set[str]:
    """`CRM_<COMPONENT>_DATABASE_URL` is built at run time: ask infra.config which it reads."""
    read = set()
    for component in COMPONENTS:
        probe = f"postgresql+psycopg2://probe/{component}"
        monkeypatch.setenv(database_url_variable(component), probe)
        if config.database_url(component) == probe:
            read.add(database_url_variable(component))
    return read


# 1. Compose: a container for everything.


def test_compose_has_every_service_the_gateway_and_the_infrastructure():
    wanted = {*SERVICES, "gateway", *INFRASTRUCTURE}
    missing = wanted - compose()["services"].keys()
    assert not missing, f"docker-compose.yml lacks services: {sorted(missing)}"


# 2. Commands: the Procfile is the reference.


@pytest.mark.parametrize("service", SERVICES)
def test_procfile_runs_a_class_the_service_defines(service):
    _, words = procfile_process(service)
    assert words[:3] == ["nameko", "run", "--config"], words
    config_path, target = words[3], words[4]
    assert config_path == f"services/{service}/config.yaml"
    assert (ROOT / config_path).is_file()
    module, _, class_name = target.partition(":")
    assert module == f"services.{service}.service"
    source = (ROOT / "services" / service / "service.py").read_text()
    assert re.search(rf"^class {class_name}\b", source, re.MULTILINE), (
        f"services/{service}/service.py defines no class {class_name}"
    )


@pytest.mark.parametrize("component", COMPONENTS)
def test_compose_command_matches_the_procfile(component):
    assignments, words = procfile_process(component)
    service = compose_service(component)
    assert as_words(service.get("command", [])) == words
    unset = set(assignments) - compose_environment(component).keys()
    assert not unset, f"the Procfile sets {sorted(unset)} for {component}; compose does not"
    migrate = service.get("depends_on", {}).get("migrate", {})
    assert migrate.get("condition") == "service_completed_successfully", (
        f"{component} must start after the migrate service has succeeded"
    )


def test_compose_migrate_runs_the_migrations_of_every_component():
    assert as_words(compose_service("migrate")["command"]) == MIGRATE
    missing = {database_url_variable(c) for c in COMPONENTS} - compose_environment("migrate").keys()
    assert not missing, f"migrate lacks {sorted(missing)}"


def test_image_runs_the_gateway_by_default():
    commands = [
        line.removeprefix("CMD").strip()
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.startswith("CMD")
    ]
    assert commands, "the Dockerfile has no CMD"
    assert json.loads(commands[-1]) == procfile_process("gateway")[1]


# 3. Variables: only names the code reads; each component its own database.


def test_every_crm_variable_in_the_deploy_files_is_read_by_the_code(monkeypatch):
    known = names_read_by_code() | database_urls_read_by_code(monkeypatch)
    unknown = {}
    for path in deploy_files():
        names = set(CRM_NAME.findall(path.read_text())) - known
        if names:
            unknown[str(path.relative_to(ROOT))] = sorted(names)
    assert not unknown, f"variables no code reads (misspelt?): {unknown}"


@pytest.mark.parametrize("component", COMPONENTS)
def test_compose_gives_each_component_its_own_database_only(component):
    own = database_url_variable(component)
    others = {database_url_variable(c) for c in COMPONENTS} - {own}
    environment = compose_environment(component)
    assert own in environment, f"compose sets no {own} for {component}"
    assert not others & environment.keys(), f"{component} sees another component's database"


# 4. Kubernetes: a Deployment, Service and autoscaler per component, commands as the Procfile.


@pytest.mark.parametrize("component", COMPONENTS)
def test_k8s_has_a_deployment_service_and_autoscaler(component):
    k8s_deployment(component)
    assert component in k8s("Service"), f"deploy/k8s/ has no Service named {component!r}"
    targets = {
        (h["spec"]["scaleTargetRef"]["kind"], h["spec"]["scaleTargetRef"]["name"])
        for h in k8s("HorizontalPodAutoscaler").values()
    }
    assert ("Deployment", component) in targets, f"no autoscaler scales {component}"


@pytest.mark.parametrize("component", COMPONENTS)
def test_k8s_command_matches_the_procfile(component):
    container = k8s_container(component)
    assert [*container.get("command", []), *container.get("args", [])] == procfile_process(
        component
    )[1]
    init = k8s_deployment(component)["spec"]["template"]["spec"].get("initContainers", [])
    assert [*MIGRATE, component] in [c.get("command") for c in init], (
        f"the {component} Deployment does not migrate {component} before it starts"
    )
    images = {c["image"] for c in [container, *init]}
    assert images == {k8s_container("gateway")["image"]}, "one image runs every process"


@pytest.mark.parametrize("component", COMPONENTS)
def test_k8s_gives_each_component_its_own_database_only(component):
    own = database_url_variable(component)
    others = {database_url_variable(c) for c in COMPONENTS} - {own}
    init = k8s_deployment(component)["spec"]["template"]["spec"].get("initContainers", [])
    for container in [k8s_container(component), *init]:
        environment = k8s_environment(container)
        assert own in environment, f"{component}/{container['name']} gets no {own}"
        assert not others & environment.keys(), (
            f"{component}/{container['name']} sees another component's database"
        )
    assignments, _ = procfile_process(component)
    unset = set(assignments) - k8s_environment(k8s_container(component)).keys()
    assert not unset, f"the Procfile sets {sorted(unset)} for {component}; Kubernetes does not"


@pytest.mark.parametrize("component", COMPONENTS)
def test_k8s_pods_announce_their_metrics_port(component):
    container = k8s_container(component)
    environment = k8s_environment(container)
    if component == "gateway":
        expected = port_of(environment["CRM_GATEWAY_BIND"])
    else:
        expected = int(environment["CRM_METRICS_PORT"])
    annotations = k8s_deployment(component)["spec"]["template"]["metadata"]["annotations"]
    assert int(annotations["prometheus.io/port"]) == expected
    assert expected in [p["containerPort"] for p in container.get("ports", [])]


def test_k8s_gateway_probes_ask_routes_the_gateway_serves():
    container = k8s_container("gateway")
    gateway_source = "".join(p.read_text() for p in (ROOT / "gateway").rglob("*.py"))
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    bind_port = port_of(k8s_environment(container)["CRM_GATEWAY_BIND"])
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        check = container[probe]["httpGet"]
        assert check["path"] == path
        assert f'route("{path}")' in gateway_source, f"the gateway serves no {path}"
        assert ports.get(check["port"], check["port"]) == bind_port


def test_k8s_secret_holds_placeholders_only():
    secrets = k8s("Secret")
    assert secrets, "deploy/k8s/ has no Secret"
    real = [
        f"{name}/{key}"
        for name, secret in secrets.items()
        for key, value in secret.get("stringData", {}).items()
        if "CHANGE-ME" not in value
    ]
    assert not real, f"values that are not placeholders: {real}"


# 5. Prometheus scrapes the gateway and every service.


def scrape_targets() -> set[tuple[str, int, str]]:
    """(host, port, metrics path) of every target, static or found through DNS."""
    prometheus = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    targets = set()
    for job in prometheus["scrape_configs"]:
        path = job.get("metrics_path", "/metrics")
        for static in job.get("static_configs", []):
            for target in static["targets"]:
                host, _, port = target.rpartition(":")
                targets.add((host, int(port), path))
        for dns in job.get("dns_sd_configs", []):
            targets.update((name, int(dns["port"]), path) for name in dns["names"])
    return targets


@pytest.mark.parametrize("component", COMPONENTS)
def test_prometheus_scrapes_every_component(component):
    environment = compose_environment(component)
    if component == "gateway":
        port = port_of(environment["CRM_GATEWAY_BIND"])
    else:
        port = int(environment.get("CRM_METRICS_PORT", "0"))
        assert port, f"compose gives {component} no CRM_METRICS_PORT: it serves no metrics"
    assert (component, port, "/metrics") in scrape_targets()


# 6. PostgreSQL: a database for every component.


def test_postgres_init_script_creates_every_component_database():
    postgres = compose_service("postgres")
    assert any(
        volume.split(":")[:2] == ["./deploy/postgres", "/docker-entrypoint-initdb.d"]
        for volume in postgres.get("volumes", [])
    ), "compose does not mount deploy/postgres as the init scripts"
    created = set()
    for script in (ROOT / "deploy" / "postgres").glob("*.sql"):
        created |= set(re.findall(r"CREATE DATABASE\s+(\w+)", script.read_text(), re.IGNORECASE))
    missing = set(COMPONENTS) - created
    assert not missing, f"no database created for {sorted(missing)}"
    for service in compose()["services"]:
        for name, url in compose_environment(service).items():
            if name.endswith("_DATABASE_URL"):
                database = make_url(url).database
                assert database in created, f"{service}: {name} names a database never created"
