"""What the admins of accounts and planner share: forms that write through services,
read-only registrations, and actions that call a service once per selected row.

The admin is one more caller of the services (one write path). Its add/change form
calls the service while the form is validated, inside the request, so a refusal
(``ServiceError``) lands on the same page as a form error with the input kept,
and the admin's own save steps have nothing left to do.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from planner.errors import ServiceError


def add_service_error(form: forms.BaseForm, exc: ServiceError) -> None:
    """Show a service's refusal on the form: per field where the form has the field."""
    shown = False
    for name, errors in exc.fields.items():
        target = name if name in form.fields else None
        for error in errors:
            form.add_error(target, error)
            shown = True
    if not shown:
        form.add_error(None, exc.message)


def scope_choices(form: forms.BaseForm, workspace_id: int | None) -> None:
    """Offer only the workspace's objects (and members) in the form's choice fields.

    Without a workspace yet (an add form), every workspace's objects are offered,
    labelled with their workspace; the service refuses a mismatch.
    """
    for field in form.fields.values():
        queryset = getattr(field, "queryset", None)
        if queryset is None:
            continue
        model = queryset.model
        if model is User:
            if workspace_id:
                field.queryset = queryset.filter(memberships__workspace_id=workspace_id)
        elif any(f.name == "workspace" for f in model._meta.fields):
            if workspace_id:
                field.queryset = queryset.filter(workspace_id=workspace_id)
            else:
                field.queryset = queryset.select_related("workspace")
                field.label_from_instance = lambda obj: f"{obj} · {obj.workspace}"


class ServiceForm:
    """Mixed into the admin's form by ``ServiceAdminMixin.get_form``."""

    model_admin: ServiceAdminMixin
    request = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        scope_choices(self, getattr(self.instance, "workspace_id", None))

    def _post_clean(self):
        # Replaces the model form's own model validation: the service validates
        # (and compares against the stored object, which the form leaves untouched).
        if self.errors:
            return
        existing = self.instance if self.instance.pk else None
        try:
            saved = self.model_admin.save_through_service(self.request, self, existing)
        except ServiceError as exc:
            add_service_error(self, exc)
        else:
            if saved is not None:
                self.instance = saved


class ServiceAdminMixin:
    """A ModelAdmin whose add and change forms write through ``save_through_service``.

    Inlines of such an admin must be read-only: the service has already written
    when the inline formsets are validated.
    """

    def save_through_service(self, request, form, obj):
        """Call the service with ``form.cleaned_data``; ``obj`` is None when adding.

        Return the saved object. A ``ServiceError`` becomes form errors.
        """
        raise NotImplementedError

    def writes_through_service(self, obj) -> bool:
        return True

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if not self.writes_through_service(obj):
            return form
        attrs = {"model_admin": self, "request": request}
        return type(form.__name__, (ServiceForm, form), attrs)

    def save_model(self, request, obj, form, change):
        if not self.writes_through_service(obj if change else None):
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if not self.writes_through_service(form.instance if change else None):
            super().save_related(request, form, formsets, change)
            return
        for formset in formsets:
            # Read-only inlines: nothing to save, but the change message reads these.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        form = context["adminform"].form
        wrote = self.writes_through_service(obj) and form.is_bound and form.is_valid()
        if request.method == "POST" and wrote:
            # Re-rendering a valid form means an inline formset was refused after the
            # service wrote (a tampered or truncated page): undo the write.
            transaction.set_rollback(True)
            form.add_error(None, _("Nothing was saved: the page was incomplete. Try again."))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdminMixin:
    """Shown, never written: the services own these rows."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


class ReadOnlyTabularInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    show_change_link = True


def call_for_each(
    request,
    queryset: models.QuerySet,
    service: Callable[..., object],
    *,
    done: str,
) -> None:
    """Call ``service(request.user, obj)`` for every selected row; one message per row.

    A refusal does not stop the others: each row's result is reported on its own.
    ``done`` is a message with ``%(object)s``.
    """
    for obj in queryset:
        try:
            service(request.user, obj)
        except ServiceError as exc:
            messages.error(request, f"{obj}: {exc.message}")
        else:
            messages.success(request, done % {"object": obj})
