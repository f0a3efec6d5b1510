from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "funding"

    def ready(self):
        from conventions.versioning import track

        from .models import FundingAmount, FundingLine, Payment, Structure

        def of_line(line_id):
            return list(
                FundingLine.objects.filter(pk=line_id).values_list("convention_id", flat=True)
            )

        track(Structure, lambda structure: [structure.convention_id])
        track(FundingLine, lambda line: [line.convention_id])
        track(FundingAmount, lambda amount: of_line(amount.line_id))
        track(
            Payment,
            lambda payment: list(
                FundingLine.objects.filter(amounts=payment.funding_amount_id).values_list(
                    "convention_id", flat=True
                )
            ),
        )
