"""The API gateway: authentication, roles, routing to services, OpenAPI, problem+json errors."""
