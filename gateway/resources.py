"""The HTTP face of a service's record type: list, create, read, update, delete.

Every resource behaves the same way: `ETag` from the record's version, `If-Match` checked by the
service in the same transaction as the write (stale: 412), `Idempotency-Key` on create, cursor
pages. Requests are validated here with the service's own schemas (which also make the OpenAPI
document) and again by the service, which owns the data.
"""

import uuid

from flask import current_app, jsonify, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema

from gateway import db
from gateway.idempotency import idempotent
from gateway.models import User
from gateway.security import allow, current_actor
from infra.errors import PreconditionFailed, ValidationFailed
from infra.resource import Resource, page_of

ETAG = {"ETag": {"schema": {"type": "string"}, "description": "The record's version."}}


def call(service: str, method: str, *args, **kwargs):
    return current_app.extensions["crm_rpc"].call(
        service, method, *args, actor=current_actor(), **kwargs
    )


def with_etag(record: dict, status: int = 200):
    response = jsonify(record)
    response.status_code = status
    if "version" in record:
        response.set_etag(str(record["version"]))
    return response


def query_args() -> dict:
    """The query string for a service: repeated parameters (`?tag=a&tag=b`) as lists."""
    return {
        key: values if len(values) > 1 else values[0]
        for key, values in request.args.to_dict(flat=False).items()
    }


def expected_version() -> int | None:
    """The version an `If-Match` header names; None when absent or `*`."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    tag = header.split(",")[0].strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise PreconditionFailed(f"If-Match {header!r} names no version of this record.")
    return int(tag)


def check_users(body: dict, fields: tuple[str, ...]) -> None:
    """Fields naming a user (an owner, an assignee) or a list of users (a team's members) must
    name active ones: users live here, in the gateway, so the services cannot check it."""
    errors = {}
    for field in fields:
        named = body.get(field)
        for user_id in named if isinstance(named, list) else [named]:
            if user_id is not None and not active_user(user_id):
                errors.setdefault(field, []).append(f"No active user with id {user_id}.")
    if errors:
        raise ValidationFailed("The request names users that do not exist.", errors)


def active_user(user_id) -> bool:
    """Whether `user_id` names an active user; True for a value that is not a UUID at all,
    which the service's schema refuses with a clearer message."""
    try:
        user = db.session().get(User, uuid.UUID(str(user_id)))
    except ValueError:
        return True
    return user is not None and user.is_active


def _with_options(blp: Blueprint, options: type[Schema] | None):
    """Validate and document create's query parameters, when the resource has some."""
    if options is None:
        return lambda view: view
    return blp.arguments(options, location="query", as_kwargs=True)


def _with_existing(blp: Blueprint, resource: Resource):
    """Document the 200 of a create that found the record already."""
    if not resource.finds_existing:
        return lambda view: view
    return blp.alt_response(
        200,
        schema=resource.read,
        headers=ETAG,
        description="Sent before: the record made then, and nothing new.",
    )


def register(blp: Blueprint, resource: Resource) -> None:
    r = resource

    class Collection(MethodView):
        @allow(*r.read_roles)
        @blp.arguments(r.query, location="query", as_kwargs=True)
        @blp.response(200, page_of(r.read))
        def get(self, **_query):
            """List, search, filter and sort; paged by cursor."""
            return jsonify(call(r.service, r.rpc("list"), query_args()))

        @allow(*r.write_roles)
        @idempotent
        @blp.arguments(r.create)
        @_with_options(blp, r.create_options)
        @blp.response(201, r.read, headers=ETAG)
        @_with_existing(blp, r)
        def post(self, _data, **_options):
            """Create. Send an `Idempotency-Key` header to make retries safe."""
            check_users(request.get_json(), r.users_named)
            args = (request.get_json(), query_args()) if r.create_options else (request.get_json(),)
            answer = call(r.service, r.rpc("create"), *args)
            record, created = (
                (answer["record"], answer["created"]) if r.finds_existing else (answer, True)
            )
            response = with_etag(record, 201 if created else 200)
            response.headers["Location"] = url_for(f".{r.name}", record_id=record["id"])
            return response

    class Item(MethodView):
        @allow(*r.read_roles)
        @blp.response(200, r.read, headers=ETAG)
        def get(self, record_id):
            """Read one, with its `ETag`."""
            return with_etag(call(r.service, r.rpc("get"), record_id))

        @allow(*r.write_roles)
        @blp.arguments(r.update)
        @blp.response(200, r.read, headers=ETAG)
        def patch(self, _changes, record_id):
            """Change some fields. With `If-Match`, only if unchanged since read (else 412)."""
            version = expected_version()
            check_users(request.get_json(), r.users_named)
            return with_etag(
                call(r.service, r.rpc("update"), record_id, request.get_json(), version)
            )

        @allow(*r.write_roles)
        @blp.response(204)
        def delete(self, record_id):
            """Delete. With `If-Match`, only if unchanged since read (else 412)."""
            call(r.service, r.rpc("delete"), record_id, expected_version())
            return "", 204

    blp.add_url_rule(r.path, f"{r.name}_collection", view_func=Collection)
    blp.add_url_rule(f"{r.path}/<record_id>", r.name, view_func=Item)
