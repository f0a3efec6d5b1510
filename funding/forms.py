import copy
from decimal import Decimal

from django import forms
from django.core.validators import FileExtensionValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ctg_portal.fields import FrenchDecimalField, SafeModelChoiceField
from ctg_portal.formatting import format_euros, format_number
from ctg_portal.forms import DateInput, OnceForm, not_in_future
from ctg_portal.validators import no_control_characters

from .models import FundingAmount, FundingLine, Payment

MAX_IMPORT_BYTES = 5 * 1024 * 1024
IMPORT_EXTENSIONS = ["csv", "xlsx", "ods"]


class LineChoiceField(SafeModelChoiceField):
    def label_from_instance(self, obj):
        return obj.label


class PaymentForm(OnceForm, forms.ModelForm):
    """A payment (acompte or solde) on one line for one year of the period."""

    line = LineChoiceField(label=_("Funding line"), queryset=FundingLine.objects.none())
    year = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Payment
        fields = ["line", "amount", "paid_on", "kind", "note", "year"]
        widgets = {"paid_on": DateInput}
        field_classes = {"amount": FrenchDecimalField}

    def __init__(self, *args, convention, **kwargs):
        super().__init__(*args, **kwargs)
        self.convention = convention
        self.fields["line"].queryset = FundingLine.objects.filter(convention=convention)
        self.fields["paid_on"].initial = timezone.localdate

    def clean_paid_on(self):
        return not_in_future(self.cleaned_data.get("paid_on"))

    def clean_year(self):
        year = self.cleaned_data["year"]
        if not self.convention.start_year <= year <= self.convention.end_year:
            raise forms.ValidationError(_("This year lies outside the convention's period."))
        return year

    def clean(self):
        cleaned = super().clean()
        line, year = cleaned.get("line"), cleaned.get("year")
        if line and year:
            try:
                self.instance.funding_amount = FundingAmount.objects.get(line=line, year=year)
            except FundingAmount.DoesNotExist:
                self.add_error(
                    "line",
                    _("This line has no planned amount for %(year)s: enter it first.")
                    % {"year": year},
                )
        return cleaned


REASON_MAX = 300


def reason_field(label):
    return forms.CharField(
        label=label,
        max_length=REASON_MAX,
        validators=[no_control_characters],
        help_text=_("Kept in the payment's history."),
        error_messages={"required": _("Give the reason: it is kept in the payment's history.")},
    )


class VersionedPaymentForm(forms.Form):
    """Carries the version of the payment the user saw: a correction or a cancellation made
    from an older one is refused (funding.services.PaymentChanged)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, payment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = payment.version
        self.fields["version"].error_messages["required"] = _(
            "This form has expired: reload the page and enter it again."
        )

    def clean(self):
        cleaned = super().clean()
        # A hidden field's error would show nowhere: it is told above the form.
        if "version" in self.errors:
            self.add_error(None, self.errors["version"])
        return cleaned

    def refuse(self, payment):
        """Rebind the user's input to the payment's current version: saving again (after
        reading what changed) applies it knowingly."""
        data = self.data.copy()
        data[self.add_prefix("version")] = str(payment.version)
        self.data = data
        self.fields["version"].initial = payment.version
        self.full_clean()


class PaymentCorrectionForm(VersionedPaymentForm, forms.ModelForm):
    """A payment's amount, date, kind or note corrected, with the reason why."""

    reason = reason_field(_("Reason for the correction"))

    class Meta:
        model = Payment
        fields = ["amount", "paid_on", "kind", "note"]
        widgets = {"paid_on": DateInput}
        field_classes = {"amount": FrenchDecimalField}

    def __init__(self, *args, payment, **kwargs):
        # A copy: validating writes the input on the instance, and the page shows the payment
        # as it stands.
        super().__init__(*args, payment=payment, instance=copy.copy(payment), **kwargs)

    def clean_paid_on(self):
        return not_in_future(self.cleaned_data.get("paid_on"))


class PaymentCancelForm(VersionedPaymentForm):
    """A payment cancelled (typed by mistake, paid back): kept, struck, counted nowhere."""

    reason = reason_field(_("Reason for the cancellation"))


class AmountsForm(forms.Form):
    """The planned amounts of every line × year of the period, edited as one grid.

    Each cell carries the value the user saw: a cell changed meanwhile by someone else is
    refused rather than overwritten.
    """

    def __init__(self, *args, table, **kwargs):
        super().__init__(*args, **kwargs)
        self.table = table
        self.cells = []
        for row in table.rows:
            for year, amount in zip(table.years, row.amounts, strict=True):
                name = f"amount-{row.line.pk}-{year}"
                self.fields[name] = FrenchDecimalField(
                    label=_("%(line)s, %(year)s") % {"line": row.line.label, "year": year},
                    required=False,
                    min_value=Decimal("0"),
                    max_digits=12,
                    decimal_places=2,
                    initial=amount if (row.line.pk, year) in table.existing else None,
                )
                self.fields[name].error_messages["min_value"] = _("An amount cannot be negative.")
                self.fields[f"seen-{row.line.pk}-{year}"] = FrenchDecimalField(
                    required=False, widget=forms.HiddenInput, initial=self.fields[name].initial
                )
                self.cells.append((row.line, year, name))

    def rows(self):
        """[(line, [bound fields per year])] for the template."""
        by_line = {}
        for line, _year, name in self.cells:
            by_line.setdefault(line, []).append(self[name])
        return list(by_line.items())

    def clean(self):
        cleaned = super().clean()
        if any(f"seen-{line.pk}-{year}" not in self.data for line, year, _name in self.cells):
            # Without the values the user saw, no change can be told from a stale one.
            raise forms.ValidationError(
                _("This form has expired: reload the page and enter it again."), code="expired"
            )
        for line, year, name in self.cells:
            if name in self.errors:
                continue
            new, seen = cleaned.get(name), cleaned.get(f"seen-{line.pk}-{year}")
            if new is None and seen is not None:
                self.add_error(name, _("An amount cannot be emptied: enter 0 instead."))
        conflicts = self.conflicts(self.table.existing)
        if conflicts:
            self.refuse(conflicts)
        return cleaned

    def touched(self):
        """[(line, year, seen, new)]: the cells the user changed from the value they saw. The
        others are never written, whatever they hold now (a colleague's change is kept)."""
        result = []
        for line, year, name in self.cells:
            new = self.cleaned_data.get(name)
            seen = self.cleaned_data.get(f"seen-{line.pk}-{year}")
            if new is not None and new != seen:
                result.append((line, year, seen, new))
        return result

    def conflicts(self, current):
        """[(line, year, now)]: cells this user changed that someone else changed too, to
        another value, since the user saw them (`current`: (line id, year) → amount)."""
        result = []
        for line, year, seen, new in self.touched():
            now = current.get((line.pk, year))
            if now != seen and now != new:
                result.append((line, year, now))
        return result

    def refuse(self, conflicts):
        """Refuse the conflicting cells, showing the colleague's value; the form now carries
        it as the value seen, so that saving again (after checking) applies the user's."""
        if not self.data._mutable:
            self.data = self.data.copy()
        for line, year, now in conflicts:
            name = f"amount-{line.pk}-{year}"
            self.data[f"seen-{line.pk}-{year}"] = "" if now is None else str(now)
            if name not in self.errors:
                self.add_error(
                    name,
                    _("Changed meanwhile by someone else, to %(amount)s: check it.")
                    % {"amount": format_euros(now) if now is not None else "—"},
                )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet (XLSX, ODS or CSV, 5 MB at most)"),
        validators=[FileExtensionValidator(IMPORT_EXTENSIONS)],
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                _("This file is too large (%(size)s MB): 5 MB at most.")
                % {"size": format_number(upload.size / 1024 / 1024, places=1)}
            )
        return upload
