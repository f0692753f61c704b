"""Offline stand-ins for HubSpot (CRM v3/v4, Properties, Events) and Mailchimp (Marketing 3.0).

Public API: `create_app(dataset_dir, config)`, `serve(dataset_dir, host, port, faults, seed, ...)`,
`SandboxServer(dataset_dir, port=0, **config_args)` (context manager with `.url`),
`SandboxConfig`, `make_config(...)`, `SandboxPortInUseError`.
"""
from leadscore.sandbox.app import create_app
from leadscore.sandbox.config import Faults, RateLimits, SandboxConfig
from leadscore.sandbox.server import SandboxPortInUseError, SandboxServer, make_config, serve

__all__ = ["Faults", "RateLimits", "SandboxConfig", "SandboxPortInUseError", "SandboxServer", "create_app",
           "make_config", "serve"]
