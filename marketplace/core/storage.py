"""Private files: verification documents and trade PDFs.

They live in their own storage (``STORAGES["private"]``), a folder apart from ``MEDIA_ROOT``
(``PRIVATE_MEDIA_ROOT``) that nothing serves under a URL: the storage has no URL at all, and
every download goes through a view that checks who asks (``private_file_response`` gives the
answer its headers). Public files (listing photos) stay in the default storage under
``MEDIA_URL``.

Model fields name the storage through ``private_storage`` (a callable, so migrations record
the function and not the folder of the machine that made them).
"""

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.http import FileResponse
from django.utils.cache import patch_cache_control

PRIVATE_STORAGE_ALIAS = "private"


class PrivateFileSystemStorage(FileSystemStorage):
    """A FileSystemStorage under ``settings.PRIVATE_MEDIA_ROOT`` that has no URL."""

    def __init__(self, location: str | Path | None = None, **kwargs: Any) -> None:
        super().__init__(location=location, **kwargs)
        self._private_location = location

    # Read on every use (not cached), so that a test's override of the setting applies.
    @property
    def base_location(self) -> Any:
        if self._private_location is not None:
            return self._private_location
        return settings.PRIVATE_MEDIA_ROOT

    @property
    def location(self) -> str:
        return str(Path(self.base_location).resolve())

    @property
    def base_url(self) -> Any:
        return None

    def url(self, name: str | None) -> str:
        raise ValueError(
            "A private file has no URL: serve it through a view that checks access "
            "(marketplace.core.storage.private_file_response)."
        )


def private_storage() -> Storage:
    """The storage of private files (``FileField(storage=private_storage)``)."""
    return storages[PRIVATE_STORAGE_ALIAS]


def private_file_response(file: File, *, filename: str, content_type: str) -> FileResponse:
    """A private file as an attachment the browser neither sniffs nor shares from a cache."""
    response = FileResponse(
        file.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, no_store=True, max_age=0)
    return response


def private_files_move(*, names: Iterable[str], source: Storage, target: Storage) -> int:
    """Move the named files from ``source`` to ``target`` (same names); returns how many moved.

    Safe to run again: a name already in ``target`` is left there (and removed from
    ``source``), a name in neither is skipped.
    """
    moved = 0
    for name in names:
        if not name:
            continue
        if target.exists(name):
            if source.exists(name):
                source.delete(name)
            continue
        if not source.exists(name):
            continue
        with source.open(name, "rb") as content:
            saved = target.save(name, content)
        if saved != name:  # never expected: the name was free in the target
            target.delete(saved)
            raise RuntimeError(f"Could not keep the name {name!r} while moving it.")
        source.delete(name)
        moved += 1
    return moved
