from flask_smorest import Blueprint

from gateway.resources import Resource, register
from gateway.security import EDITORS, EVERYONE
from services.customers import schemas

blp = Blueprint(
    "customers",
    __name__,
    url_prefix="/api/v1",
    description="Accounts (companies) and contacts (people).",
)

register(
    blp,
    Resource(
        path="/accounts",
        service="customers",
        entity="account",
        create=schemas.AccountCreate,
        update=schemas.AccountUpdate,
        read=schemas.AccountRead,
        query=schemas.AccountQuery,
        read_roles=EVERYONE,
        write_roles=EDITORS,
    ),
)
register(
    blp,
    Resource(
        path="/contacts",
        service="customers",
        entity="contact",
        create=schemas.ContactCreate,
        update=schemas.ContactUpdate,
        read=schemas.ContactRead,
        query=schemas.ContactQuery,
        read_roles=EVERYONE,
        write_roles=EDITORS,
    ),
)
