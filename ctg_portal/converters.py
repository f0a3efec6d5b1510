"""URL converters shared by the apps."""

from django.urls import register_converter


class ExportFormat:
    """The spreadsheet formats of the exports: export.csv, export.xlsx, export.ods."""

    regex = "csv|xlsx|ods"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ExportFormat, "exportformat")
