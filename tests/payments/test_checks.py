"""The sandbox cannot run with production settings: ``payments.E002``, both through
``override_settings`` and as ``manage.py check`` runs with the real production settings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import Error
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from payments.checks import payments_configuration

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_the_sandbox_with_production_settings_is_a_system_check_error():
    with override_settings(
        STRIPE_SECRET_KEY="", STRIPE_WEBHOOK_SECRET="", PAYMENTS_SANDBOX=True, PRODUCTION=True
    ):
        problems = payments_configuration(None)
        with pytest.raises(SystemCheckError, match=r"payments\.E002"):
            call_command("check")

    assert [(type(p), p.id, p.msg) for p in problems] == [
        (Error, "payments.E002", "PAYMENTS_SANDBOX is on with production settings.")
    ]


def test_production_without_the_sandbox_and_the_sandbox_outside_production_pass():
    with override_settings(STRIPE_SECRET_KEY="", PAYMENTS_SANDBOX=False, PRODUCTION=True):
        assert payments_configuration(None) == []
    with override_settings(STRIPE_SECRET_KEY="", PAYMENTS_SANDBOX=True, PRODUCTION=False):
        assert payments_configuration(None) == []


def _check_with_production_settings(**extra: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PAYMENTS_SANDBOX", "STRIPE_SECRET_KEY", "DJANGO_DEBUG")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="marketplace.settings.production",
        DJANGO_SECRET_KEY="deploy-check-0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3",
        DJANGO_ALLOWED_HOSTS="marketplace.example.com",
        **extra,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_manage_py_check_with_production_settings_refuses_the_sandbox():
    refused = _check_with_production_settings(PAYMENTS_SANDBOX="true")
    assert refused.returncode == 1
    assert "payments.E002" in refused.stderr

    default = _check_with_production_settings()
    assert default.returncode == 0, default.stderr
    assert "payments.E002" not in default.stderr
