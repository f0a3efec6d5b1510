from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Seed, demonstration data, backup and restore, the bulk dataset generator."""

    name = "operations"
