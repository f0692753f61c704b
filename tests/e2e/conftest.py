"""Shared by the end-to-end tests: a generated dataset served by the sandbox on a free port."""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from leadscore.sandbox import SandboxServer
from leadscore.synthetic import generate


@contextmanager
def served_dataset(tmp_path_factory, name: str, contacts: int, seed: int):
    """Generate `contacts` contacts and serve them; LEADSCORE_SANDBOX_PORT points the pipeline there."""
    out = tmp_path_factory.mktemp(name)
    generate(contacts=contacts, seed=seed, out_dir=out)
    with pytest.MonkeyPatch.context() as mp, SandboxServer(out, port=0) as server:
        mp.setenv("LEADSCORE_SANDBOX_PORT", str(server.port))
        yield server


@contextmanager
def own_home(prefix: str):
    """A LEADSCORE_HOME for one module, outside pytest's /tmp/pytest-of-<user> (0700): as root,
    pgserver runs postgres as its own user, which must pass through every parent of the data dir."""
    path = Path(tempfile.mkdtemp(prefix=f"leadscore-{prefix}-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
