"""Re-encrypt every stored credential under the newest key of CREDENTIALS_KEY, so the
older keys can be retired.

Every field of every model that is an ``EncryptedJSONField`` is covered (today the
channels' credentials), so a new encrypted field is rotated without touching this
command. Rows are taken in batches, each locked in its own short transaction, and the
ciphertext is rotated as it is (Fernet's ``rotate``): a secret being renewed by the
engine at the same moment waits for the lock instead of being overwritten. A second
run finds nothing to do.
"""

from __future__ import annotations

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import TextField, Value
from django.db.models.functions import Cast

from planner import crypto
from planner.crypto import EncryptedJSONField


def encrypted_fields():
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedJSONField):
                yield model, field


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored credential under the first key of CREDENTIALS_KEY; "
        "afterwards the other keys can be removed from it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        total_rotated = 0
        for model, field in encrypted_fields():
            try:
                rotated, current = self._rotate(model, field, batch_size)
            except ImproperlyConfigured as exc:
                raise CommandError(f"{model._meta.label}.{field.name}: {exc}") from None
            total_rotated += rotated
            self.stdout.write(
                f"{model._meta.label}.{field.name}: {rotated} re-encrypted, "
                f"{current} already under the newest key."
            )
        self.stdout.write(
            f"Done: {total_rotated} re-encrypted. Every credential is now under the first "
            "key of CREDENTIALS_KEY; the others can be removed."
        )

    def _rotate(self, model, field, batch_size: int) -> tuple[int, int]:
        raw = Cast(field.name, TextField())  # the ciphertext, not decrypted
        rotated = current = 0
        last_pk = None
        while True:
            with transaction.atomic():
                rows = model._default_manager.select_for_update().order_by("pk")
                if last_pk is not None:
                    rows = rows.filter(pk__gt=last_pk)
                batch = list(rows.annotate(raw=raw).values_list("pk", "raw")[:batch_size])
                for pk, token in batch:
                    if not token or crypto.is_current(token):
                        current += 1
                        continue
                    model._default_manager.filter(pk=pk).update(
                        **{field.name: Value(crypto.reencrypt(token), output_field=TextField())}
                    )
                    rotated += 1
            if len(batch) < batch_size:
                return rotated, current
            last_pk = batch[-1][0]
