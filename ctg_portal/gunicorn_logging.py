"""gunicorn's access log without credentials: a calendar feed's address is its secret, so the
request line, the path and the referrer are written with the token masked
(`gunicorn ... --logger-class ctg_portal.gunicorn_logging.RedactingLogger`, as `make run` and
the README's deployment do)."""

from gunicorn.glogging import Logger

from .logging import redact


class RedactingLogger(Logger):
    MASKED_ATOMS = ("r", "U", "f")

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in self.MASKED_ATOMS:
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
