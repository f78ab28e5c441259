"""Contact imports from CSV files: the upload answers 202 with a job, which is then polled.

The gateway never holds the file: werkzeug spools the upload to a temporary file, and the
gateway sends it on to the customers service in chunks, each over RPC (base64: RPC messages are
JSON). The service checks the file's head when the job is queued, so a file that cannot be
imported is a 422 here, and nothing of it is kept. (An upload cut short, say by a 503 half-way,
leaves a job that is never queued: the service deletes it, and its chunks, after an hour.)
"""

import base64
from functools import partial

from flask import current_app, jsonify, request, url_for
from flask_smorest import Blueprint
from marshmallow import fields
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict

from contracts.customers import ImportOptions, ImportRead
from gateway.problems import takes_files
from gateway.resources import call
from gateway.security import EDITORS, EVERYONE, allow

CHUNK_BYTES = 256 * 1024
LOCATION = {"Location": {"schema": {"type": "string"}, "description": "The job, to poll."}}


class UploadParser(FlaskParser):
    """Reads a multipart form's fields and files as one set of arguments, `multipart`."""

    __location_map__ = {**FlaskParser.__location_map__, "multipart": "load_multipart"}

    def load_multipart(self, req, schema):
        return self._makeproxy(CombinedMultiDict([req.form, req.files]), schema)


class UploadBlueprint(Blueprint):
    ARGUMENTS_PARSER = UploadParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "multipart": "multipart/form-data",
    }


class ImportUpload(ImportOptions):
    file = fields.Raw(
        required=True,
        metadata={
            "type": "string",
            "format": "binary",
            "description": "The CSV file: UTF-8 (with or without BOM) or GBK/GB18030, a header "
            "row first. It needs a first_name or last_name column (or one mapped to them).",
        },
    )


blp = UploadBlueprint(
    "imports", __name__, url_prefix="/api/v1", description="Importing contacts from CSV files."
)


@blp.before_request
def limit_upload_size():
    request.max_content_length = current_app.config["IMPORT_MAX_BYTES"]


@blp.route("/contacts/import", methods=["POST"])
@takes_files
@allow(*EDITORS)
@blp.arguments(ImportUpload, location="multipart")
@blp.response(202, ImportRead, headers=LOCATION)
def import_contacts(upload):
    """Import contacts from a CSV file. Answers 202 with the job; poll its `Location`."""
    job = call("customers", "create_import", request.form.to_dict())
    read = partial(upload["file"].stream.read, CHUNK_BYTES)
    for seq, chunk in enumerate(iter(read, b"")):
        call("customers", "append_import_chunk", job["id"], seq, base64.b64encode(chunk).decode())
    response = jsonify(call("customers", "queue_import", job["id"]))
    response.status_code = 202
    response.headers["Location"] = url_for(".import_job", job_id=job["id"])
    return response


@blp.route("/imports/<job_id>")
@allow(*EVERYONE)
@blp.response(200, ImportRead)
def import_job(job_id):
    """An import's progress and outcome: its creator, admins and managers see it."""
    return jsonify(call("customers", "get_import", job_id))
