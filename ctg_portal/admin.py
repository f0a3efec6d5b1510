"""What the back-office pages of every app share: their titles in French without slips.

Django's French admin titles the add, change and view pages "Ajout de %s", "Modification de
%s", "Affichage de %s" with the model's name as it is: "Ajout de objectif stratégique", no
elision, no article. The ModelAdmins of the portal's apps use FrenchTitlesMixin and name their
model with its articles ("Ajouter un objectif stratégique", "Modifier l’objectif stratégique").
"""

from django.utils.translation import gettext as _


class FrenchTitlesMixin:
    """Titles of the add, change and view pages: "Ajouter un objectif stratégique",
    "Modifier l’objectif stratégique", "Consulter l’objectif stratégique".

    `indefinite_name` ("a strategic objective") and `definite_name` ("the strategic
    objective"), translated, name the model with its articles; without them, its verbose name
    ("Ajouter objectif stratégique", Django's own wording of its "Add" button).
    """

    indefinite_name = None
    definite_name = None

    def page_title(self, obj, can_change):
        if obj is None:
            return _("Add %(name)s") % {"name": self.indefinite_name or self.opts.verbose_name}
        name = self.definite_name or self.opts.verbose_name
        if can_change:
            return _("Change %(name)s") % {"name": name}
        return _("View %(name)s") % {"name": name}

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        can_change = obj is not None and self.has_change_permission(request, obj)
        context["title"] = self.page_title(obj if not add else None, can_change)
        return super().render_change_form(request, context, add, change, form_url, obj)
