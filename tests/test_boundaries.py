"""The gateway stands alone: it imports no service package, and the contracts it shares with the
services are dependency-light (no SQLAlchemy, no nameko, no service code)."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import contracts
from infra import config

pytestmark = pytest.mark.unit

# The gateway's pytest fixtures start every service in-process for the end-to-end tests: they
# are test plumbing, not part of the gateway that runs.
TEST_PLUMBING = ("tests", "testing.py")


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def gateway_sources() -> list[Path]:
    root = config.ROOT / "gateway"
    return [
        path
        for path in root.rglob("*.py")
        if not any(part in TEST_PLUMBING for part in path.relative_to(root).parts)
    ]


def test_no_gateway_module_imports_a_service():
    offenders = {
        f"{path.relative_to(config.ROOT)}: {name}"
        for path in gateway_sources()
        for name in imported_modules(path)
        if name == "services" or name.startswith("services.")
    }
    assert gateway_sources() and not offenders


def run_and_list_modules(code: str) -> set[str]:
    """The modules loaded after running `code` in a fresh interpreter."""
    script = f"{code}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=config.ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": ""},
    )
    return set(done.stdout.split())


def test_the_gateway_app_loads_no_service_package():
    loaded = run_and_list_modules("import gateway.app, gateway.api; gateway.api.blueprints()")
    assert "gateway.api.customers" in loaded  # it did load the routes
    assert not {name for name in loaded if name.split(".")[0] == "services"}


def test_contracts_are_dependency_light():
    loaded = run_and_list_modules("import contracts; contracts.resources()")
    assert "contracts.sales" in loaded
    heavy = {"sqlalchemy", "nameko", "eventlet", "kombu", "services", "flask"}
    assert not {name for name in loaded if name.split(".")[0] in heavy}


def test_every_declared_resource_names_a_known_service_and_area():
    for resource in contracts.resources():
        assert resource.service in config.SERVICES, resource.name
        assert resource.area in contracts.areas(), resource.name
