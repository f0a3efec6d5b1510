"""Each indicator says how many decimals its figures are shown with.

Existing indicators: none when every figure they hold (values, baseline, target) is a whole
number (a count: 18, not 18,00), else 2, as they were shown before. Their history records get
the same setting, so that the history tells no change of it.
"""

from django.db import migrations, models

CHUNK = 500


def fractional(number):
    return number is not None and number != number.to_integral_value()


def set_decimals(apps, schema_editor):
    Indicator = apps.get_model("actions", "Indicator")
    Record = apps.get_model("actions", "HistoricalIndicator")
    Value = apps.get_model("actions", "IndicatorValue")
    with_fractions = {
        indicator_id
        for indicator_id, value in Value.objects.values_list("indicator_id", "value").iterator()
        if fractional(value)
    }
    with_fractions |= {
        pk
        for pk, baseline, target in Indicator.objects.values_list(
            "pk", "baseline", "target"
        ).iterator()
        if fractional(baseline) or fractional(target)
    }
    ids = sorted(with_fractions)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        Indicator.objects.filter(pk__in=chunk).update(decimals=2)
        Record.objects.filter(id__in=chunk).update(decimals=2)


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0007_actionsheet_search_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalindicator",
            name="decimals",
            field=models.PositiveSmallIntegerField(
                choices=[(0, "none (a count)"), (1, "1 decimal"), (2, "2 decimals")],
                default=0,
                help_text="Decimal places shown for its values, baseline and target: none for "
                "a count. A value that has more is shown in full.",
                verbose_name="decimals",
            ),
        ),
        migrations.AddField(
            model_name="indicator",
            name="decimals",
            field=models.PositiveSmallIntegerField(
                choices=[(0, "none (a count)"), (1, "1 decimal"), (2, "2 decimals")],
                default=0,
                help_text="Decimal places shown for its values, baseline and target: none for "
                "a count. A value that has more is shown in full.",
                verbose_name="decimals",
            ),
        ),
        migrations.AddConstraint(
            model_name="indicator",
            constraint=models.CheckConstraint(
                condition=models.Q(("decimals__lte", 2)),
                name="indicator_decimals_0_2",
                violation_error_message="An indicator is shown with 0, 1 or 2 decimals.",
            ),
        ),
        migrations.RunPython(set_decimals, migrations.RunPython.noop),
    ]
