from flask import jsonify, request, url_for
from flask.views import MethodView

from contracts import customers as schemas
from gateway import csv_export
from gateway.api import area
from gateway.resources import ETAG, call, expected_version, query_args, with_etag
from gateway.security import ADMINS, EDITORS, EVERYONE, allow
from infra.resource import Resource

blp = area("customers")
ACCOUNTS, CONTACTS = schemas.ACCOUNTS, schemas.CONTACTS


JOB_LOCATION = {"Location": {"schema": {"type": "string"}, "description": "The job, to poll."}}


def register_tagging(resource: Resource) -> None:
    class Tagging(MethodView):
        @allow(*resource.write_roles)
        @blp.arguments(schemas.TagOperation)
        @blp.response(200, schemas.TagResult, description="At most 500 records: done.")
        @blp.alt_response(
            202,
            schema=schemas.TagJobRead,
            headers=JOB_LOCATION,
            description="More than 500 records: a job, tagging them in the background.",
        )
        def post(self, _operation):
            """Add or remove tags on the listed ids, or on every record a list filter selects
            (an empty filter: all of them). At most 500 records are tagged at once (200, with
            the counts); a larger selection answers 202 with a job: poll its `Location` for
            `processed` of `total` and the outcome. Each record that changes publishes its
            `_updated` event."""
            answer = call("customers", f"tag_{resource.path[1:]}", request.get_json())
            if "result" in answer:
                return jsonify(answer["result"])
            response = jsonify(answer["job"])
            response.status_code = 202
            response.headers["Location"] = url_for(".tag_job", job_id=answer["job"]["id"])
            return response

    blp.add_url_rule(f"{resource.path}/tags", f"{resource.name}_tags", view_func=Tagging)


@blp.route("/tag-jobs/<job_id>")
@allow(*EVERYONE)
@blp.response(200, schemas.TagJobRead)
def tag_job(job_id):
    """A tag job's progress and outcome: its creator, admins and managers see it."""
    return jsonify(call("customers", "get_tag_job", job_id))


for resource in (ACCOUNTS, CONTACTS):
    register_tagging(resource)


class Merge(MethodView):
    @allow(*EDITORS)
    @blp.arguments(schemas.MergeRequest)
    @blp.response(200, schemas.ContactRead, headers=ETAG)
    def post(self, _data, record_id):
        """Merge `duplicate_id` into this contact: its emails, phones, tags, custom values,
        interactions, consents and timeline move here; its id redirects here (308) from then
        on; `contacts_merged` is published. With `If-Match`, only if this contact is unchanged."""
        merged = call(
            "customers", "merge_contacts", record_id, request.get_json(), expected_version()
        )
        return with_etag(merged)


class Duplicates(MethodView):
    @allow(*EVERYONE)
    @blp.arguments(schemas.DuplicatesQuery, location="query", as_kwargs=True)
    @blp.response(200, schemas.Duplicates)
    def get(self, **_query):
        """Likely duplicate pairs: the same email or phone, or very similar names at the same
        company; strongest evidence first."""
        return jsonify(call("customers", "list_duplicates", query_args()))


class Consents(MethodView):
    @allow(*EVERYONE)
    @blp.arguments(schemas.ConsentQuery, location="query", as_kwargs=True)
    @blp.response(200, schemas.ConsentState)
    def get(self, record_id, **_query):
        """Consent per channel in force now, or `as_of` a moment, and the whole history."""
        return jsonify(call("customers", "get_consents", record_id, query_args()))

    @allow(*EDITORS)
    @blp.arguments(schemas.ConsentCreate)
    @blp.response(201, schemas.ConsentRead)
    def post(self, _data, record_id):
        """Record an opt-in or opt-out; `consent_changed` is published for marketing."""
        consent = call("customers", "record_consent", record_id, request.get_json())
        return jsonify(consent), 201


class PersonalData(MethodView):
    @allow(*ADMINS)
    @blp.response(200)
    def get(self, record_id):
        """Everything held about the contact, as one JSON document (a subject access request)."""
        data = call("customers", "get_personal_data", record_id)
        response = jsonify(data)
        response.headers["Content-Disposition"] = f'attachment; filename="contact-{record_id}.json"'
        return response


class Erase(MethodView):
    @allow(*ADMINS)
    @blp.response(204)
    def post(self, record_id):
        """Erase the contact's personal data (the right to be forgotten). The erasure is kept;
        the id answers 410 Gone; `contact_erased` tells every service to remove its copies."""
        call("customers", "erase_contact", record_id)
        return "", 204


def exporter(resource: Resource, columns: list[str]):
    class Export(MethodView):
        @allow(*EDITORS)
        @blp.arguments(resource.query, location="query", as_kwargs=True)
        @blp.response(200, {"type": "string"}, content_type="text/csv")
        def get(self, **_query):
            """The list as CSV, for the same filters, streamed; one column per custom field."""
            defined = call("customers", "list_custom_fields", {"entity": resource.name})
            custom = [field["name"] for field in defined["items"]]
            return csv_export.download(
                f"{resource.path[1:]}.csv",
                [(name, column_value(name)) for name in columns]
                + [(f"cf.{name}", custom_value(name)) for name in custom],
                lambda params: call("customers", f"list_{resource.path[1:]}", params),
                query_args(),
            )

    return Export


def column_value(name: str):
    key = "account_name" if name == "company" else name  # as the import names it
    return lambda item: item.get(key)


def custom_value(name: str):
    return lambda item: item["custom_fields"].get(name)


CONTACT_COLUMNS = [
    "id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "title",
    "street",
    "city",
    "region",
    "postal_code",
    "country",
    "birthday",
    "tags",
    "lifecycle_stage",
    "preferred_channel",
    "owner_id",
    "account_id",
    "created_at",
    "updated_at",
]
ACCOUNT_COLUMNS = [
    "id",
    "name",
    "industry",
    "size",
    "category",
    "website",
    "phone",
    "street",
    "city",
    "region",
    "postal_code",
    "country",
    "tags",
    "parent_id",
    "owner_id",
    "created_at",
    "updated_at",
]

blp.add_url_rule(
    "/contacts/export", "contact_export", view_func=exporter(CONTACTS, CONTACT_COLUMNS)
)
blp.add_url_rule(
    "/accounts/export", "account_export", view_func=exporter(ACCOUNTS, ACCOUNT_COLUMNS)
)
blp.add_url_rule("/contacts/duplicates", "contact_duplicates", view_func=Duplicates)
blp.add_url_rule("/contacts/<record_id>/merge", "contact_merge", view_func=Merge)
blp.add_url_rule("/contacts/<record_id>/consents", "contact_consents", view_func=Consents)
blp.add_url_rule(
    "/contacts/<record_id>/personal-data", "contact_personal_data", view_func=PersonalData
)
blp.add_url_rule("/contacts/<record_id>/erase", "contact_erase", view_func=Erase)
