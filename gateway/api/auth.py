from flask_smorest import Blueprint

from gateway.schemas import Token, TokenRequest
from gateway.security import authenticate, issue_token

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Logging in.")


@blp.route("/token", methods=["POST"])
@blp.arguments(TokenRequest)
@blp.response(200, Token)
@blp.alt_response(401, response="UNAUTHORIZED", description="Wrong email or password.")
def token(credentials):
    """Exchange an email and password for a bearer token."""
    return issue_token(authenticate(credentials["email"], credentials["password"]))
