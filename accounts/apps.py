from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Connects the receiver that counts failed sign-ins per account (accounts.throttle).
        from accounts import lockout  # noqa: F401
