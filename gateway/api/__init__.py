"""The API's routes, one blueprint per area (an OpenAPI tag).

Every declared resource (`contracts`) gets its routes from its declaration
(`gateway.resources.register`) on its area's blueprint; a module here adds the area's
hand-written routes, the domain's own steps (a quote's acceptance, a lead's conversion), to the
same blueprint through `area(name)`. Both are found, not listed: a service that is added
declares its resources in `contracts` and needs no edit here."""

import functools
import importlib
import pkgutil

from flask_smorest import Blueprint

import contracts
from gateway.resources import register


@functools.cache
def area(name: str) -> Blueprint:
    return Blueprint(name, __name__, url_prefix="/api/v1", description=contracts.areas()[name])


@functools.cache
def blueprints() -> tuple[Blueprint, ...]:
    """Every blueprint of the API, its routes registered once per process."""
    own = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        blp = getattr(module, "blp", None)
        if blp is not None and blp.name not in contracts.areas():
            own.append(blp)
    for resource in contracts.resources():
        register(area(resource.area), resource)
    return (*own, *(area(name) for name in contracts.areas()))
