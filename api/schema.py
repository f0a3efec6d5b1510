"""The schema's description of the token authentication (drf-spectacular extension, loaded by
ApiConfig.ready): a bearer security scheme on every endpoint."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "jeton"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Jeton personnel créé sur /compte/ : Authorization: Bearer ctg_…",
        }
