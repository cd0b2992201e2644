from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import lockout, services
from accounts.forms import EmailAuthenticationForm, ProfileForm
from accounts.models import Invitation, Membership, Role, User
from accounts.permissions import Capability, role_can
from accounts.selectors import (
    invitation_for_token,
    members_of,
    membership_or_404,
    open_invitations,
)
from accounts.two_factor import (
    profile_summary,
    two_factor_state,
    users_with_two_factor,
    workspaces_beyond,
)
from planner.errors import NotAllowed, NotFound, ServiceError
from planner.posts.forms import add_service_error


class LoginView(auth_views.LoginView):
    """The password; then, for whoever has or needs a second factor, its page."""

    form_class = EmailAuthenticationForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        # Before the password is looked at: an account pausing under many addresses'
        # failures answers 429 without checking it (accounts.throttle).
        refused = lockout.account_refusal(request, request.POST.get("username"))
        return refused or super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        has, needs = two_factor_state(user)
        if has or needs:
            name = "accounts:two_factor_verify" if has else "accounts:two_factor_setup"
            return redirect(f"{reverse(name)}?{urlencode({'next': self.get_success_url()})}")
        lockout.clear(self.request, user.email)  # signed in completely
        return response


@login_required
@require_POST
def switch_workspace(request):
    try:
        workspace_id = int(request.POST.get("workspace", ""))
        workspace = services.user_switch_workspace(user=request.user, workspace_id=workspace_id)
    except (ValueError, NotFound):
        raise Http404 from None
    messages.success(request, _("You are now working in %(name)s.") % {"name": workspace.name})
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    return redirect(target)


@login_required
def profile(request):
    user = request.user
    initial = {"full_name": user.full_name, "time_zone": user.time_zone, "language": user.language}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update_preferences(user=user, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            from django.utils import translation

            translation.activate(user.language)
            messages.success(request, _("Your preferences are saved."))
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form, **profile_summary(user)})


# --- members and invitations -------------------------------------------------------


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Email address"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(
        label=gettext_lazy("Role"), choices=Role.choices, initial=Role.CONTRIBUTOR
    )


class AcceptForm(forms.Form):
    full_name = forms.CharField(
        label=gettext_lazy("Your full name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password = forms.CharField(
        label=gettext_lazy("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("At least 8 characters, not only digits, not a common password."),
    )
    password_again = forms.CharField(
        label=gettext_lazy("The same password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password_again") != data["password"]:
            self.add_error("password_again", _("The two passwords differ; type them again."))
        return data


def manager_membership(request) -> Membership:
    """The admin's membership; 403 for the other roles (404 outside a workspace)."""
    membership = membership_or_404(request.user)
    if not role_can(membership.role, Capability.MEMBER_MANAGE):
        raise PermissionDenied(_("Only the admins of this workspace can manage its members."))
    return membership


def refused(request, exc: ServiceError):
    """Map a service's refusal to an answer: 404, 403, or a message on the members page."""
    if isinstance(exc, NotFound):
        raise Http404 from None
    if isinstance(exc, NotAllowed):
        raise PermissionDenied(exc.message) from None
    messages.error(request, exc.message)
    return redirect("accounts:member_list")


def member_or_404(workspace, pk: int) -> Membership:
    membership = members_of(workspace).filter(pk=pk).first()
    if membership is None:
        raise Http404
    return membership


def _invitation_or_404(workspace, pk: int) -> Invitation:
    invitation = open_invitations(workspace).filter(pk=pk).first()
    if invitation is None:
        raise Http404
    return invitation


def _members_page(request, membership: Membership, invite_form: InviteForm | None = None):
    workspace = membership.workspace
    can_manage = role_can(membership.role, Capability.MEMBER_MANAGE)
    context = {
        "workspace": workspace,
        "members": members_of(workspace),
        "me": membership,
        "can_manage": can_manage,
        "roles": Role.choices,
    }
    if can_manage:
        members = context["members"] = list(context["members"])
        context["with_two_factor"] = users_with_two_factor([m.user_id for m in members])
        context["locked"] = lockout.locked_emails([m.user.email for m in members])
        # Whom only an admin of other workspaces too, or the operator, may reset or unlock.
        beyond = workspaces_beyond(request.user, [m.user_id for m in members])
        for m in members:
            m.operator_only = ", ".join(beyond.get(m.user_id, []))
        context["invite_form"] = invite_form or InviteForm()
        context["invitations"] = open_invitations(workspace)
        context["invitation_days"] = settings.INVITATION_DAYS
    return render(request, "accounts/member_list.html", context)


@login_required
def member_list(request):
    return _members_page(request, membership_or_404(request.user))


@login_required
@require_POST
def member_invite(request):
    membership = manager_membership(request)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation, _token = services.invitation_create(
                actor=request.user,
                workspace=membership.workspace,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except (NotFound, NotAllowed) as exc:
            return refused(request, exc)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s as %(role)s.")
                % {"email": invitation.email, "role": invitation.get_role_display()},
            )
            return redirect("accounts:member_list")
    return _members_page(request, membership, invite_form=form)


@login_required
@require_POST
def member_role(request, pk: int):
    membership = manager_membership(request)
    target = member_or_404(membership.workspace, pk)
    try:
        changed = services.member_change_role(
            actor=request.user,
            workspace=membership.workspace,
            membership_id=target.pk,
            role=request.POST.get("role", ""),
        )
    except ServiceError as exc:
        return refused(request, exc)
    messages.success(
        request,
        _("%(name)s is now %(role)s.")
        % {"name": changed.user.display_name, "role": changed.get_role_display()},
    )
    return redirect("accounts:member_list")


@login_required
def member_remove(request, pk: int):
    membership = manager_membership(request)
    target = member_or_404(membership.workspace, pk)
    if request.method != "POST":
        return render(
            request,
            "accounts/confirm.html",
            {
                "title": _("Remove %(name)s from %(workspace)s?")
                % {"name": target.user.display_name, "workspace": membership.workspace.name},
                "explanation": _(
                    "%(email)s loses access to this workspace at once. Their posts and comments "
                    "stay. You can invite them again later."
                )
                % {"email": target.user.email},
                "action": reverse("accounts:member_remove", args=[target.pk]),
                "confirm_label": _("Yes, remove"),
            },
        )
    try:
        services.member_remove(
            actor=request.user, workspace=membership.workspace, membership_id=target.pk
        )
    except ServiceError as exc:
        return refused(request, exc)
    messages.success(request, _("%(name)s was removed.") % {"name": target.user.display_name})
    if target.user_id == request.user.pk:
        return redirect("planner:home")
    return redirect("accounts:member_list")


@login_required
@require_POST
def invitation_resend(request, pk: int):
    membership = manager_membership(request)
    invitation = _invitation_or_404(membership.workspace, pk)
    try:
        services.invitation_resend(
            actor=request.user,
            workspace=membership.workspace,
            invitation_id=invitation.pk,
        )
    except ServiceError as exc:
        return refused(request, exc)
    messages.success(
        request,
        _("A new link was sent to %(email)s; the previous one no longer works.")
        % {"email": invitation.email},
    )
    return redirect("accounts:member_list")


@login_required
def invitation_revoke(request, pk: int):
    membership = manager_membership(request)
    invitation = _invitation_or_404(membership.workspace, pk)
    if request.method != "POST":
        return render(
            request,
            "accounts/confirm.html",
            {
                "title": _("Withdraw the invitation to %(email)s?") % {"email": invitation.email},
                "explanation": _(
                    "The link already sent stops working at once. You can invite the address "
                    "again later."
                ),
                "action": reverse("accounts:invitation_revoke", args=[invitation.pk]),
                "confirm_label": _("Yes, withdraw"),
            },
        )
    try:
        services.invitation_revoke(
            actor=request.user, workspace=membership.workspace, invitation_id=invitation.pk
        )
    except ServiceError as exc:
        return refused(request, exc)
    messages.success(
        request, _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email}
    )
    return redirect("accounts:member_list")


def _invitation_gone(request, message: str, status: int):
    return render(request, "accounts/invitation_gone.html", {"message": message}, status=status)


def invitation_accept(request, token: str):
    """The page an emailed link opens: join, after creating an account or signing in."""
    invitation = invitation_for_token(token)
    if invitation is None:
        return _invitation_gone(request, services.invitation_unknown_message(), 404)
    refusal = services.invitation_refusal(invitation)
    if refusal:
        return _invitation_gone(request, refusal, 410)
    user = request.user if request.user.is_authenticated else None
    wrong_account = user is not None and user.email.lower() != invitation.email.lower()
    account_exists = user is None and User.objects.filter(email__iexact=invitation.email).exists()
    form = AcceptForm(request.POST or None) if user is None and not account_exists else None
    can_join = not wrong_account and not account_exists
    if request.method == "POST" and can_join and (form is None or form.is_valid()):
        answer = _join(request, invitation, token, user, form)
        if answer is not None:
            return answer
    return render(
        request,
        "accounts/invitation_accept.html",
        {
            "invitation": invitation,
            "form": form,
            "wrong_account": wrong_account,
            "account_exists": account_exists,
            "login_url": f"{reverse('accounts:login')}?{urlencode({'next': request.path})}",
        },
    )


def _join(
    request, invitation: Invitation, token: str, user: User | None, form
) -> HttpResponse | None:
    """Accept the invitation; None when the page should show again with the refusal."""
    data = form.cleaned_data if form is not None else {}
    try:
        joined = services.invitation_accept(
            token=token,
            user=user,
            full_name=data.get("full_name"),
            password=data.get("password"),
            language=getattr(request, "LANGUAGE_CODE", None),
        )
    except NotFound as exc:
        return _invitation_gone(request, exc.message, 404)
    except ServiceError as exc:
        invitation.refresh_from_db()
        refusal = services.invitation_refusal(invitation)
        if refusal:  # used or withdrawn while the page was open
            return _invitation_gone(request, refusal, 410)
        if form is not None:
            add_service_error(form, exc)
        else:
            messages.error(request, exc.message)
        return None
    if user is None:
        login(request, joined.user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(
        request,
        _("Welcome to %(workspace)s: you joined as %(role)s.")
        % {"workspace": joined.workspace.name, "role": joined.get_role_display()},
    )
    return redirect("planner:home")
