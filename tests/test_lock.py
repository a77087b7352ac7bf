"""The lock is the install we test: both quickstart commands install from it, so a fresh machine gets these versions."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
LOCK = REPO / "constraints" / "reelhouse.txt"
SUPERSET_LOCK = REPO / "constraints" / "superset.txt"


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"{path.name}: '{line}' is not an exact pin"
            pins[canonicalize_name(name)] = version
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return [Requirement(spec) for spec in (*project["dependencies"], *project["optional-dependencies"]["dev"])]


def test_every_declared_dependency_is_pinned_within_its_range() -> None:
    pins = _pins(LOCK)
    for requirement in _declared():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is in pyproject.toml but not in the lock: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), \
            f"lock pins {requirement.name}=={pins[name]}, outside pyproject's {requirement.specifier}"


def test_the_running_environment_is_the_locked_one() -> None:
    """What the tests run on is exactly the lock: a dependency added without relocking fails here."""
    pins = _pins(LOCK)
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()
                 if canonicalize_name(d.metadata["Name"]) not in {"reelhouse", "pip", "setuptools", "wheel"}}
    different = {name: (version, pins.get(name)) for name, version in installed.items() if pins.get(name) != version}
    assert not different, f"installed (version, locked) differ from the lock: {different}"


def test_the_stripe_sdk_is_pinned_to_the_major_whose_api_version_we_send() -> None:
    import stripe
    from stripe._api_version import _ApiVersion

    from ingestion.stripe.version import STRIPE_API_VERSION

    assert _pins(LOCK)["stripe"] == stripe.VERSION
    assert _ApiVersion.CURRENT == STRIPE_API_VERSION


def test_superset_is_locked_at_the_release_we_provision() -> None:
    from reelhouse.superset.service import LOCK_FILE, REQUIREMENTS, SUPERSET_VERSION

    assert LOCK_FILE == SUPERSET_LOCK
    pins = _pins(SUPERSET_LOCK)
    assert pins["apache-superset"] == SUPERSET_VERSION
    for requirement in map(Requirement, REQUIREMENTS):
        assert canonicalize_name(requirement.name) in pins, f"{requirement.name} missing from the Superset lock"
