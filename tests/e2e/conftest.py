"""Shared by the end-to-end tests: a generated dataset served by the sandbox on a free port."""
from __future__ import annotations

from contextlib import contextmanager

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
