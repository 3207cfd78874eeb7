"""The TCP proxy of the Python worker library's suite (Clients/python/tests/tcp_proxy.py), for the
fault tests here: forwards bytes both ways, holds and releases them, cuts connections."""

import importlib.util
from pathlib import Path

_SOURCE = Path(__file__).resolve().parents[2] / "Clients/python/tests/tcp_proxy.py"
_spec = importlib.util.spec_from_file_location("workflow_tcp_proxy", _SOURCE)
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)

TCPProxy = _module.TCPProxy
