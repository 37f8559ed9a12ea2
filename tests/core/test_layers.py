"""The import-linter contracts of pyproject.toml ([tool.importlinter], run by ``make lint``)
hold on the code, and provably guard something: on a copy of the code with one bad import
planted, lint-imports fails and names the broken contract."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("marketplace", "listings", "orders", "payments")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# Nothing here uses the database, but the suite's session fixtures do.
pytestmark = pytest.mark.django_db

PACKAGES_CONTRACT = "Packages depend one way"
DOMAIN_CONTRACT = "Inside a domain"


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """The Python sources of the four root packages and pyproject.toml, copied."""
    copy = tmp_path_factory.mktemp("layers") / "src"
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            copy / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.html", "*.txt", "*.css", "*.js"),
        )
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


@pytest.fixture
def code(pristine, tmp_path) -> Path:
    target = tmp_path / "src"
    shutil.copytree(pristine, target)
    return target


def plant(code: Path, module: str, line: str) -> None:
    path = code / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = code / module.replace(".", "/") / "__init__.py"
    path.write_text(path.read_text() + f"\n{line}\n")


def test_the_contracts_hold_on_the_code():
    result = lint_imports(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_the_copy_is_kept_before_anything_is_planted(code):
    result = lint_imports(code)

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "line", "contract", "says"),
    [
        (
            "orders.services.placement",
            "import payments.models",
            PACKAGES_CONTRACT,
            "orders is not allowed to import payments",
        ),
        (
            "listings.selectors",
            "import orders.models",
            PACKAGES_CONTRACT,
            "listings is not allowed to import orders",
        ),
        (
            "marketplace.core.transitions",
            "import marketplace.accounts.models",
            PACKAGES_CONTRACT,
            "marketplace.core is not allowed to import marketplace.accounts",
        ),
        (
            "marketplace.trade.landed_cost_snapshot",
            "import listings.models",
            PACKAGES_CONTRACT,
            "marketplace.trade is not allowed to import listings",
        ),
        (
            "orders.services.lifecycle",
            "import orders.views",
            DOMAIN_CONTRACT,
            "orders.services is not allowed to import orders.views",
        ),
        (
            "orders.selectors",
            "import orders.services",
            DOMAIN_CONTRACT,
            "orders.selectors is not allowed to import orders.services",
        ),
        (
            "orders.quotes.models",
            "import orders.quotes.api.urls",
            DOMAIN_CONTRACT,
            "orders.quotes.models is not allowed to import orders.quotes.api",
        ),
    ],
    ids=[
        "orders-imports-payments",
        "listings-imports-orders",
        "core-imports-accounts",
        "trade-imports-listings",
        "services-import-views",
        "selectors-import-services",
        "quote-models-import-api",
    ],
)
def test_a_planted_bad_import_breaks_the_contract(code, module, line, contract, says):
    plant(code, module, line)

    result = lint_imports(code)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 kept, 1 broken" in result.stdout
    broken = result.stdout.split("Broken contracts", 1)[1]
    assert contract in broken
    assert says in " ".join(broken.split())
