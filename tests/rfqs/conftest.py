import pytest

from tests.rfqs.factories import buyer_with_member, category_tree_for_rfqs


@pytest.fixture
def tree(db):
    return category_tree_for_rfqs()


@pytest.fixture
def buyer_pair(db):
    return buyer_with_member(country="DE")


@pytest.fixture
def buyer(buyer_pair):
    return buyer_pair[0]


@pytest.fixture
def buyer_user(buyer_pair):
    return buyer_pair[1]


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Uploaded files go to a temporary folder, not the repository's."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
