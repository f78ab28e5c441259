from flask import jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway.resources import Resource, call, register
from gateway.security import ADMINS, EDITORS, EVERYONE, allow
from services.customers import schemas

blp = Blueprint(
    "customers",
    __name__,
    url_prefix="/api/v1",
    description="Accounts (companies), contacts (people) and the custom fields admins add.",
)

ACCOUNTS = Resource(
    path="/accounts",
    service="customers",
    entity="account",
    create=schemas.AccountCreate,
    update=schemas.AccountUpdate,
    read=schemas.AccountRead,
    query=schemas.AccountQuery,
    read_roles=EVERYONE,
    write_roles=EDITORS,
)
CONTACTS = Resource(
    path="/contacts",
    service="customers",
    entity="contact",
    create=schemas.ContactCreate,
    update=schemas.ContactUpdate,
    read=schemas.ContactRead,
    query=schemas.ContactQuery,
    read_roles=EVERYONE,
    write_roles=EDITORS,
    create_options=schemas.CreateOptions,
)
CUSTOM_FIELDS = Resource(
    path="/custom-fields",
    service="customers",
    entity="custom_field",
    create=schemas.CustomFieldCreate,
    update=schemas.CustomFieldUpdate,
    read=schemas.CustomFieldRead,
    query=schemas.CustomFieldQuery,
    read_roles=EVERYONE,
    write_roles=ADMINS,
)

for resource in (ACCOUNTS, CONTACTS, CUSTOM_FIELDS):
    register(blp, resource)


def register_tagging(resource: Resource) -> None:
    class Tagging(MethodView):
        @allow(*resource.write_roles)
        @blp.arguments(schemas.TagOperation)
        @blp.response(200, schemas.TagResult)
        def post(self, _operation):
            """Add or remove tags on the listed ids, or on every record a list filter selects
            (at most 10,000). Each record that changes publishes its `_updated` event."""
            return jsonify(call("customers", f"tag_{resource.path[1:]}", request.get_json()))

    blp.add_url_rule(f"{resource.path}/tags", f"{resource.entity}_tags", view_func=Tagging)


for resource in (ACCOUNTS, CONTACTS):
    register_tagging(resource)
