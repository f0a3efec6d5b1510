from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "actions"

    def ready(self):
        from conventions.versioning import track

        from .models import ActionSheet, Indicator, IndicatorValue, ProgressNote, Step

        def of_sheet(sheet_id):
            return list(
                ActionSheet.objects.filter(pk=sheet_id).values_list("convention_id", flat=True)
            )

        track(ActionSheet, lambda sheet: [sheet.convention_id])
        track(Step, lambda step: of_sheet(step.sheet_id))
        track(Indicator, lambda indicator: of_sheet(indicator.sheet_id))
        track(ProgressNote, lambda note: of_sheet(note.sheet_id))
        track(
            IndicatorValue,
            lambda value: list(
                ActionSheet.objects.filter(indicators=value.indicator_id).values_list(
                    "convention_id", flat=True
                )
            ),
        )
