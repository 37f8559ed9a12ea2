"""A browser session of a user acting for one of their companies."""

from django.test import Client

from marketplace.accounts.middleware import ACTIVE_COMPANY_SESSION_KEY


def signed_in(user, company) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[ACTIVE_COMPANY_SESSION_KEY] = company.pk
    session.save()
    return client
