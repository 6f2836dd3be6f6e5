"""The tracking server: an ASGI app (``create_app``) speaking MLflow's REST API, run on uvicorn."""

from runyard.server.app import RunyardApp, create_app
from runyard.server.settings import ServerSettings

__all__ = ["RunyardApp", "ServerSettings", "create_app"]
