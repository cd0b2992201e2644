from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import EmailAuthenticationForm, ProfileForm
from planner.errors import NotFound, ServiceError


class LoginView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


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
    return render(request, "accounts/profile.html", {"form": form})
