"""Enrol a TOTP authenticator for a staff account: prints the otpauth:// URL and a QR code.

    manage.py staff_otp_enrol ops@example.com [--name "Phone"]

Scan the QR code (or paste the URL) into an authenticator app (FreeOTP, Aegis, Google
Authenticator, 1Password, ...); its 6-digit codes then sign the user in to /admin/ and are
the ``otp`` field of an API token request. Run it on the server, in a terminal only the
staff member sees: the URL holds the secret.
"""

import io

import qrcode
from django.core.management.base import BaseCommand, CommandError

from marketplace.accounts.models import User
from marketplace.accounts.services import staff_otp_device_enrol
from marketplace.core.exceptions import DomainError


class Command(BaseCommand):
    help = "Enrol a TOTP authenticator for a staff account and print its QR code."

    def add_arguments(self, parser) -> None:
        parser.add_argument("email", help="The staff account's email address.")
        parser.add_argument("--name", default="Authenticator app", help="A name for the device.")

    def handle(self, *args, email: str, name: str, **options) -> None:
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No account has the email address {email!r}.")
        try:
            device = staff_otp_device_enrol(user=user, name=name)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        qr = qrcode.QRCode(border=1)
        qr.add_data(device.config_url)
        picture = io.StringIO()
        qr.print_ascii(out=picture)
        self.stdout.write(f"TOTP device {device.name!r} enrolled for {user.email}.")
        self.stdout.write("Scan this QR code with an authenticator app:\n")
        self.stdout.write(picture.getvalue())
        self.stdout.write(f"or enter this URL: {device.config_url}")
