"""What the gateway and each service agree on, one module per service: wire shapes and the
declared resources (`infra.resource.Resource`). Dependency-light by rule: marshmallow and
`infra.resource`/`infra.fields` only, so the gateway reads them without importing a service.

A service added to the suite adds its module here and is found: no central list to edit."""

import importlib
import pkgutil
from types import ModuleType

from infra.resource import Resource


def modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
    ]


def resources() -> list[Resource]:
    """Every declared resource of every service, in declaration order."""
    return [
        value
        for module in modules()
        for value in vars(module).values()
        if isinstance(value, Resource)
    ]


def areas() -> dict[str, str]:
    """The API's areas (OpenAPI tags) and their descriptions, from every module's `AREAS`."""
    return {
        name: text for module in modules() for name, text in getattr(module, "AREAS", {}).items()
    }
