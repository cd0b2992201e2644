from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import views, views_two_factor
from accounts.forms import EndingSetPasswordForm, SiteLinkPasswordResetForm

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("workspace/", views.switch_workspace, name="switch_workspace"),
    path("profile/", views.profile, name="profile"),
    path("members/", views.member_list, name="member_list"),
    path("members/invite/", views.member_invite, name="member_invite"),
    path("members/<int:pk>/role/", views.member_role, name="member_role"),
    path("members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path(
        "members/<int:pk>/two-factor-reset/",
        views_two_factor.member_two_factor_reset,
        name="member_two_factor_reset",
    ),
    path("members/<int:pk>/unlock/", views_two_factor.member_unlock, name="member_unlock"),
    path("two-factor/verify/", views_two_factor.verify, name="two_factor_verify"),
    path("two-factor/setup/", views_two_factor.setup, name="two_factor_setup"),
    path("two-factor/codes/", views_two_factor.codes, name="two_factor_codes"),
    path(
        "two-factor/codes/download/",
        views_two_factor.codes_download,
        name="two_factor_codes_download",
    ),
    path("two-factor/regenerate/", views_two_factor.regenerate, name="two_factor_regenerate"),
    path("two-factor/disable/", views_two_factor.disable, name="two_factor_disable"),
    path(
        "sessions/sign-out-everywhere/",
        views_two_factor.sign_out_everywhere,
        name="sign_out_everywhere",
    ),
    path(
        "members/invitations/<int:pk>/resend/",
        views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "members/invitations/<int:pk>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(
            template_name="accounts/password_reset.html",
            form_class=SiteLinkPasswordResetForm,
            email_template_name="emails/password_reset_body.txt",
            subject_template_name="emails/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            form_class=EndingSetPasswordForm,
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]
