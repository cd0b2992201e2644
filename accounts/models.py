from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            _("“%(value)s” is not a known time zone (for example Europe/Paris)."),
            params={"value": value},
        ) from None


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields["is_staff"] = True
        fields["is_superuser"] = True
        return self._create(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username or "")


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Signs in with their email address; roles come from memberships."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Paris", validators=[validate_time_zone]
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    current_workspace = models.ForeignKey(
        "accounts.Workspace",
        verbose_name=_("current workspace"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Whether the user can sign in to the Django admin site."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Raised to end every session of the person at once (sign out everywhere, a
    # two-factor reset): it is part of the session hash Django checks on each request.
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    @property
    def display_name(self) -> str:
        return self.full_name or self.email.split("@")[0]

    def _session_secret(self) -> str:
        # Generation 0 keeps Django's own hash, so sessions open before this field
        # existed stay valid; each raise gives a hash no existing session carries.
        if not self.session_generation:
            return self.password
        return f"{self.password}:{self.session_generation}"

    def get_session_auth_hash(self) -> str:
        return self._hash_for_session(None)

    def get_session_auth_fallback_hash(self):
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._hash_for_session(secret)

    def _hash_for_session(self, secret: str | None) -> str:
        key_salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
        return salted_hmac(
            key_salt, self._session_secret(), secret=secret, algorithm="sha256"
        ).hexdigest()


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    MARKETING = "marketing", _("Marketing")
    CONTENT_MANAGER = "content_manager", _("Content manager")
    CONTRIBUTOR = "contributor", _("Contributor")
    VIEWER = "viewer", _("Viewer")


class ChatWebhookKind(models.TextChoices):
    SLACK = "slack", "Slack"
    DISCORD = "discord", "Discord"
    TEAMS = "teams", "Microsoft Teams"


class Workspace(models.Model):
    """An organisation (or a brand of one). Nothing crosses workspace borders."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Paris", validators=[validate_time_zone]
    )
    # Publishing pause: set by an admin in a crisis, checked under lock at send time.
    publishing_paused_at = models.DateTimeField(_("publishing paused at"), null=True, blank=True)
    publishing_paused_reason = models.CharField(
        _("reason for the pause"), max_length=500, blank=True
    )
    publishing_paused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    late_cutoff_minutes = models.PositiveIntegerField(
        _("late cut-off (minutes)"),
        default=15,
        validators=[MinValueValidator(1)],
        help_text=_("A post whose slot passed by more than this waits for a person."),
    )
    four_eyes_relaxed = models.BooleanField(
        _("allow approving one's own posts"),
        default=False,
        help_text=_("Off by default: nobody approves a version they wrote or edited."),
    )
    approval_reminder_hours = models.PositiveIntegerField(
        _("remind approvers after (hours)"), default=24, validators=[MinValueValidator(1)]
    )
    at_risk_hours = models.PositiveIntegerField(
        _("at risk when due within (hours)"),
        default=48,
        validators=[MinValueValidator(1)],
        help_text=_("A post due within this time and not approved is flagged at risk."),
    )
    # A chat webhook told of approvals and failures (optional).
    notify_webhook_kind = models.CharField(
        _("chat webhook"), max_length=10, choices=ChatWebhookKind.choices, blank=True
    )
    notify_webhook_url = models.URLField(_("chat webhook address"), max_length=500, blank=True)
    require_two_factor = models.BooleanField(
        _("require two-factor sign-in"),
        default=True,
        help_text=_(
            "Whoever can approve, publish, pause publishing or manage channels signs in "
            "with a code from an authenticator app as well as their password."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("workspace")
        verbose_name_plural = _("workspaces")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(late_cutoff_minutes__gte=1), name="workspace_cutoff_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(approval_reminder_hours__gte=1),
                name="workspace_reminder_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(at_risk_hours__gte=1), name="workspace_at_risk_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_paused(self) -> bool:
        return self.publishing_paused_at is not None


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("joined"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "workspace"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} @ {self.workspace}"


def invitation_expiry(now: dt.datetime | None = None) -> dt.datetime:
    """When a new (or resent) invitation stops working: INVITATION_DAYS from now."""
    return (now or timezone.now()) + dt.timedelta(days=settings.INVITATION_DAYS)


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    EXPIRED = "expired", _("Expired")
    ACCEPTED = "accepted", _("Accepted")
    REVOKED = "revoked", _("Withdrawn")


class Invitation(models.Model):
    """An emailed link that lets one address join a workspace with a role.

    Only the SHA-256 of the link's token is stored: whoever reads the database
    cannot rebuild a working link.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), default=invitation_expiry)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="invitation_role_valid"
            ),
            # One open invitation per address and workspace: a new one replaces the old.
            models.UniqueConstraint(
                "workspace",
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.workspace} ({self.get_role_display()})"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def status(self) -> InvitationStatus:
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if self.expires_at <= timezone.now():
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING
