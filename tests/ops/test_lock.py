"""The lock (requirements/*.txt) pins the whole tree with hashes, matches pyproject.toml, and is what gets installed."""

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")


def _lock(name):
    """{package: (version, [hashes])} of requirements/<name>.txt."""
    entries, current = {}, None
    for line in (ROOT / "requirements" / name).read_text().splitlines():
        if match := PIN.match(line):
            current = canonicalize_name(match.group(1))
            entries[current] = (match.group(2), [])
        elif current and (hashed := re.search(r"--hash=sha256:([0-9a-f]{64})", line)):
            entries[current][1].append(hashed.group(1))
        elif line.strip() and not line.lstrip().startswith("#"):
            raise AssertionError(f"unexpected line in requirements/{name}: {line!r}")
    return entries


BASE, DEV = _lock("base.txt"), _lock("dev.txt")


def _pins(requirements):
    out = {}
    for text in requirements:
        req = Requirement(text)
        (spec,) = req.specifier
        assert spec.operator == "==", f"{text}: pyproject pins exact versions; the lock pins the rest"
        out[canonicalize_name(req.name)] = spec.version
    return out


def test_every_locked_package_has_a_pinned_version_and_a_hash():
    for name, lock in (("base.txt", BASE), ("dev.txt", DEV)):
        assert lock, name
        unhashed = sorted(package for package, (_, hashes) in lock.items() if not hashes)
        assert not unhashed, f"{name}: packages without a hash: {unhashed}"


def test_runtime_lock_has_the_pyproject_dependencies_at_their_versions():
    for package, version in _pins(PYPROJECT["dependencies"]).items():
        assert package in BASE, f"{package} is in pyproject.toml but not in requirements/base.txt: run `make lock`"
        assert BASE[package][0] == version, f"{package}: pyproject {version}, lock {BASE[package][0]}: run `make lock`"
    for package in ("drf-spectacular-sidecar", "sentry-sdk", "python-json-logger"):
        assert package in BASE


def test_dev_lock_is_the_runtime_lock_plus_the_test_tools():
    for package, (version, hashes) in BASE.items():
        assert DEV.get(package, (None,))[0] == version, f"{package} differs between base.txt and dev.txt"
    for package, version in _pins(PYPROJECT["optional-dependencies"]["dev"]).items():
        assert DEV.get(package, (None,))[0] == version, f"{package} {version} missing from requirements/dev.txt"
    assert "pytest" not in BASE and "playwright" not in BASE  # the image carries no test tools


def test_the_lock_is_complete_every_dependency_of_a_locked_package_is_locked():
    """What --require-hashes enforces at install time, checked against the installed metadata."""
    for package in DEV:
        for text in metadata.requires(package) or []:
            req = Requirement(text)
            if req.marker and not req.marker.evaluate({"extra": ""}):
                continue
            assert canonicalize_name(req.name) in DEV, f"{package} needs {req.name}, which the lock lacks"


def test_the_virtualenv_holds_exactly_the_locked_versions():
    for package, (version, _) in DEV.items():
        assert metadata.version(package) == version, f"{package}: installed {metadata.version(package)}, lock {version}"


def test_make_run_test_docker_and_ci_install_from_the_lock_with_hashes():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^\$\(STAMP\): \$\(LOCK_DEV\)", makefile, re.M), "the venv stamp must depend on the lock"
    assert "LOCK_DEV := requirements/dev.txt" in makefile
    assert "pip install --quiet --require-hashes -r $(LOCK_DEV)" in makefile
    assert re.search(r"^run: \$\(STAMP\)", makefile, re.M) and re.search(r"^test: \$\(STAMP\)", makefile, re.M)
    assert re.search(r"^lock:", makefile, re.M) and "--generate-hashes" in makefile
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --require-hashes -r requirements/base.txt" in dockerfile
    assert not (ROOT / "bin" / "deps.py").exists()
