"""The user directory's teams, and the record types opened to everyone's reading: kept here,
in the gateway, with its users. A team's members see each other's records; its manager sees
them all. Changes are published as `team_*` events (`crm/gateway`) for the services' copies."""

from flask import jsonify, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

import contracts
from gateway import directory
from gateway.db import session
from gateway.idempotency import idempotent
from gateway.resources import ETAG, check_users, expected_version, with_etag
from gateway.schemas import OpenResources, TeamCreate, TeamPage, TeamRead, TeamUpdate
from gateway.security import ADMINS, EVERYONE, allow, current_actor, forget_known
from infra import records
from infra.errors import NotFound

blp = Blueprint(
    "directory",
    __name__,
    url_prefix="/api/v1",
    description="Teams of users and their managers (who sees whose records), and record types "
    "opened to everyone's reading.",
)
team_read = TeamRead()


def committed(answer):
    session().commit()
    forget_known()  # who sees what changed: this process applies it at once
    return answer


@blp.route("/teams")
class Teams(MethodView):
    @allow(*EVERYONE)
    @blp.response(200, TeamPage)
    def get(self):
        """Every team, by name (they are few: one page)."""
        return {"items": directory.teams(session()), "next_cursor": None}

    @allow(*ADMINS)
    @idempotent
    @blp.arguments(TeamCreate)
    @blp.response(201, TeamRead, headers=ETAG)
    def post(self, data):
        """Create a team; `team_created` is published."""
        check_users(request.get_json(), ("manager_id", "member_ids"))
        team = directory.create_team(session(), data, current_actor())
        response = committed(with_etag(team_read.dump(team), 201))
        response.headers["Location"] = url_for(".team", team_id=team.id)
        return response


@blp.route("/teams/<team_id>", endpoint="team")
class TeamItem(MethodView):
    @allow(*EVERYONE)
    @blp.response(200, TeamRead, headers=ETAG)
    def get(self, team_id):
        """Read a team, with its `ETag`."""
        return with_etag(team_read.dump(directory.get_team(session(), team_id)))

    @allow(*ADMINS)
    @blp.arguments(TeamUpdate)
    @blp.response(200, TeamRead, headers=ETAG)
    def patch(self, changes, team_id):
        """Rename, change the manager or the members (in turn order). With `If-Match`, only if
        unchanged since read (else 412). `team_updated` is published."""
        team = directory.get_team(session(), team_id)
        records.check_version(team, expected_version())
        check_users(request.get_json(), ("manager_id", "member_ids"))
        directory.update_team(session(), team, changes, current_actor())
        return committed(with_etag(team_read.dump(team)))

    @allow(*ADMINS)
    @blp.response(204)
    def delete(self, team_id):
        """Delete a team. With `If-Match`, only if unchanged since read (else 412).
        `team_deleted` is published; sales stops giving leads to it (its rules are paused)."""
        team = directory.get_team(session(), team_id)
        records.check_version(team, expected_version())
        directory.delete_team(session(), team, current_actor())
        return committed(("", 204))


@blp.route("/open-resources")
class OpenResourceList(MethodView):
    @allow(*EVERYONE)
    @blp.response(200, OpenResources)
    def get(self):
        """The record types every user may read, whoever owns the record (by default a user
        reads their own and their teams' records; admins everything)."""
        return jsonify({"resources": directory.open_resources(session())})


@blp.route("/open-resources/<resource>")
class OpenResourceItem(MethodView):
    @allow(*ADMINS)
    @blp.response(204)
    def put(self, resource):
        """Let every user read this record type (`contact`, `account`, `lead`, ...)."""
        if resource not in owned_resources():
            raise NotFound(f"No record type {resource!r} has owners: one of {owned_resources()}.")
        directory.open_resource(session(), resource, current_actor())
        return committed(("", 204))

    @allow(*ADMINS)
    @blp.response(204)
    def delete(self, resource):
        """Back to the default: users read their own and their teams' records of this type."""
        directory.close_resource(session(), resource)
        return committed(("", 204))


def owned_resources() -> list[str]:
    return sorted(r.name for r in contracts.resources() if r.owner_field)
