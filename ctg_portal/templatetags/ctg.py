from django import forms, template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from ctg_portal import formatting
from ctg_portal.formatting import format_day, format_euros, format_percent

register = template.Library()


@register.filter
def euros(value):
    """Format an amount the French way: 241 801 €."""
    return format_euros(value)


@register.filter
def percent(value):
    """A percentage the French way: 45 % (a no-break space), or — when there is none."""
    return format_percent(value)


@register.filter
def display_name(user):
    """A person's full name, else their username (ctg_portal.formatting.display_name)."""
    return formatting.display_name(user)


@register.filter
def number(value):
    """A decimal with a comma: 12,5."""
    return formatting.format_number(value)


@register.filter
def measure(value, decimals):
    """An indicator's value, baseline or target with at least `decimals` places (the
    indicator's setting), never fewer than it holds: `{{ value|measure:indicator.decimals }}`."""
    return formatting.format_measure(value, decimals or 0)


@register.filter(expects_localtime=True)
def dmy(value):
    """A date as 31/12/2025, what `|date:"d/m/Y"` writes ("" for none), without its format
    lookup and per-letter parsing: lists show one or two dates a row."""
    if value in (None, ""):
        return ""
    return format_day(value)


# A simple form field, in the markup of crispy-forms' Bootstrap 5 pack (its field.html), built
# in Python: crispy renders each field and each option through nested templates, which cost
# more than the rest of a list or sheet page. Widgets of other kinds go to crispy-forms.
INPUTS = (
    forms.TextInput,
    forms.NumberInput,
    forms.EmailInput,
    forms.URLInput,
    forms.PasswordInput,
    forms.DateInput,
    forms.DateTimeInput,
    forms.TimeInput,
    forms.CheckboxInput,
)


def flat_attrs(attrs):
    """attrs.html of Django's widgets: `name="value"`, a bare name for True, nothing for False."""
    return "".join(
        f" {name}" if value is True else f' {name}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def widget_html(bound, css):
    """The widget of `bound` with the classes `css` (if any), as BoundField.as_widget renders
    it through Django's widget templates."""
    widget = bound.field.widget
    if bound.field.localize:
        widget.is_localized = True
    attrs = {"class": css} if css else {}
    attrs.update(bound.build_widget_attrs({}, widget))
    if bound.auto_id and "id" not in widget.attrs:
        attrs["id"] = bound.auto_id
    context = widget.get_context(bound.html_name, bound.value(), attrs)["widget"]
    name = conditional_escape(context["name"])
    attributes = flat_attrs(context["attrs"])
    if isinstance(widget, forms.Textarea):
        value = conditional_escape(context["value"]) if context["value"] else ""
        return f'<textarea name="{name}"{attributes}>\n{value}</textarea>'
    if isinstance(widget, forms.Select):
        parts = [f'<select name="{name}"{attributes}>']
        for group, options, _index in context["optgroups"]:
            if group:
                parts.append(f'\n  <optgroup label="{conditional_escape(group)}">')
            parts.extend(
                f'\n  <option value="{conditional_escape(option["value"])}"'
                f"{flat_attrs(option['attrs'])}>{conditional_escape(option['label'])}</option>"
                for option in options
            )
            if group:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return "".join(parts)
    value = context["value"]
    value = "" if value is None else f' value="{conditional_escape(value)}"'
    return f'<input type="{context["type"]}" name="{name}"{value}{attributes}>'


def widget_class(widget, kind, errors):
    """crispy_field: the widget's own classes, its class name, Bootstrap's class of `kind`."""
    name = type(widget).__name__.lower()
    css = widget.attrs.get("class", "")
    if not css:
        css = name
    elif name not in css:
        css += f" {name}"
    for extra in (kind, "is-invalid" if errors else ""):
        for word in extra.split():
            if word not in css.split():
                css += f" {word}"
    return css


def help_and_errors(bound, inline):
    """help_text_and_errors.html: the errors (inline in a form with a helper), then the help."""
    parts = []
    if bound.errors:
        tag = "span" if inline else "p"
        parts.append(f'<div id="{bound.errors.field_id}_error" class="invalid-feedback">')
        parts.extend(
            f'<{tag} id="error_{index}_{bound.auto_id}"><strong>{conditional_escape(error)}'
            f"</strong></{tag}>"
            for index, error in enumerate(bound.errors, start=1)
        )
        parts.append("</div>")
    if bound.help_text:
        help_id = f'id="{bound.auto_id}_helptext" ' if bound.auto_id else ""
        parts.append(f'<div {help_id}class="form-text">{bound.help_text}</div>')
    return "".join(parts)


@register.filter
def field(bound):
    """A form field as `as_crispy_field` renders it with the Bootstrap 5 pack, same markup;
    a hidden field as Django renders it."""
    widget = bound.field.widget
    if bound.is_hidden:
        if type(widget) is forms.HiddenInput:
            return mark_safe(widget_html(bound, None))
        return str(bound)
    simple = isinstance(widget, (*INPUTS, forms.Textarea)) or (
        isinstance(widget, forms.Select) and not isinstance(widget, forms.RadioSelect)
    )
    if not simple or isinstance(widget, forms.FileInput):
        from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field

        return as_crispy_field(bound)
    helper = getattr(bound.form, "helper", None)
    inline = helper is not None and helper.error_text_inline
    required = bound.field.required
    required_class = " requiredField" if required else ""
    asterisk = '<span class="asteriskField">*</span>' if required else ""
    label = conditional_escape(bound.label)
    wrapper_class = bound.css_classes()
    wrapper_class = f" {wrapper_class}" if wrapper_class else ""
    if isinstance(widget, forms.CheckboxInput):
        control = widget_html(bound, widget_class(widget, "form-check-input", bound.errors))
        return mark_safe(
            f'<div class="mb-3"><div id="div_{bound.auto_id}" class="form-check{wrapper_class}">'
            f"{control}"
            f'<label for="{bound.id_for_label}" class="form-check-label{required_class}">'
            f"{label}{asterisk}</label>{help_and_errors(bound, inline)}</div></div>"
        )
    kind = "form-select" if isinstance(widget, forms.Select) else "form-control"
    control = widget_html(bound, widget_class(widget, kind, bound.errors))
    label_for = f'for="{bound.id_for_label}" ' if bound.id_for_label else ""
    label_html = (
        f'<label {label_for}class="form-label{required_class}">{label}{asterisk}</label>'
        if bound.label
        else ""
    )
    return mark_safe(
        f'<div id="div_{bound.auto_id}" class="mb-3{wrapper_class}">{label_html}{control}'
        f"{help_and_errors(bound, inline)}</div>"
    )


@register.simple_tag(takes_context=True)
def sections(context, page_sections):
    """Render the sections the layers above add to this page (ctg_portal.sections), each
    template with the page's context and its own."""
    engine = context.template.engine
    parts = []
    for section in page_sections:
        with context.push(**section.context):
            parts.append(engine.get_template(section.template).render(context))
    return mark_safe("".join(parts))  # each part rendered (and escaped) by its template
