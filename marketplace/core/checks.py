"""System checks of the platform's configuration."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


@register(Tags.security)
def private_media_root_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Private files must not sit where public files are served from, nor the other way round."""
    private = Path(settings.PRIVATE_MEDIA_ROOT).resolve()
    errors: list[CheckMessage] = []
    for name in ("MEDIA_ROOT", "STATIC_ROOT"):
        public = getattr(settings, name, None)
        if not public:
            continue
        public_path = Path(public).resolve()
        if _inside(private, public_path) or _inside(public_path, private):
            errors.append(
                Error(
                    f"PRIVATE_MEDIA_ROOT ({private}) and {name} ({public_path}) overlap: "
                    "verification documents and trade PDFs would be served publicly.",
                    hint=f"Give PRIVATE_MEDIA_ROOT a folder outside {name}.",
                    id="storage.E001",
                )
            )
    return errors
