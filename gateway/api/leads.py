"""Leads: capture (the API and CSV files), assignment to sales users by teams and rules, scoring
by rules, and conversion into a contact, an account and an opportunity."""

import base64

from flask import jsonify, request
from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import ValidationError
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict, FileStorage

from contracts import sales as schemas
from gateway.api import area
from gateway.problems import takes_files
from gateway.resources import ETAG, call, check_users, with_etag
from gateway.security import EDITORS, allow
from infra.errors import ValidationFailed

MAX_IMPORT_BYTES = 10 * 1024 * 1024  # far above 5,000 rows of leads

blp = area("leads")


class UploadParser(FlaskParser):
    """Reads a multipart request's files together with its form fields, so that one schema
    takes (and documents) an upload with its options."""

    def load_files(self, req, schema):
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)


blp.ARGUMENTS_PARSER = UploadParser()


class CsvFile(Upload):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, FileStorage):
            raise ValidationError("Send the CSV file as a multipart file part named `file`.")
        return value


class LeadImportForm(schemas.LeadImportOptions):
    file = CsvFile(required=True, metadata={"description": "UTF-8 (with or without BOM) or GBK."})


@blp.route("/leads/import", methods=["POST"])
@takes_files
@allow(*EDITORS)
@blp.arguments(LeadImportForm, location="files")
@blp.response(200, schemas.LeadImportResult)
def import_leads(form):
    """Import leads from a CSV file of at most 5,000 rows, with a header naming lead fields
    (first_name, last_name, company, email, phone, title, country, region, company_size,
    source, campaign, status). Each row is checked as `POST /leads` checks a lead; valid rows
    become leads, assigned and scored; the answer counts them and lists the rejected rows
    with the reason. `dry_run`: check only."""
    content = form["file"].read(MAX_IMPORT_BYTES + 1)
    if len(content) > MAX_IMPORT_BYTES:
        message = f"The file is larger than {MAX_IMPORT_BYTES // 2**20} MB."
        raise ValidationFailed(message, {"file": [message]})
    encoded = base64.b64encode(content).decode()
    return jsonify(call("sales", "import_leads", encoded, {"dry_run": form["dry_run"]}))


class Assign(MethodView):
    @allow(*EDITORS)
    @blp.arguments(schemas.LeadAssignment)
    @blp.response(200, schemas.LeadRead, headers=ETAG)
    def post(self, _data, record_id):
        """Give the lead to `owner_id`, or to the next member of team `team_id` (round robin);
        `lead_assigned` is published."""
        body = request.get_json()
        check_users(body, ("owner_id",))
        return with_etag(call("sales", "assign_lead", record_id, body))


class Convert(MethodView):
    @allow(*EDITORS)
    @blp.arguments(schemas.LeadConversion, required=False)
    @blp.response(200, schemas.LeadConverted)
    def post(self, _data, record_id):
        """Convert a qualified lead into a contact and an account in the customers service
        (reusing the contact with its email and the account with its company's name) and, with
        `opportunity`, an opportunity. Safe to retry: a failure half-way leaves nothing behind,
        and nothing is created twice. A lead converts once; `lead_converted` is published."""
        body = request.get_json(silent=True) or {}
        return jsonify(call("sales", "convert_lead", record_id, body))


blp.add_url_rule("/leads/<record_id>/assign", "lead_assign", view_func=Assign)
blp.add_url_rule("/leads/<record_id>/convert", "lead_convert", view_func=Convert)
