"""The factory uvicorn's worker processes call: settings arrive through the environment."""

from __future__ import annotations

from runyard import config
from runyard.errors import InvalidState
from runyard.server.app import RunyardApp, create_app
from runyard.server.settings import ServerSettings


def app_from_environment() -> RunyardApp:
    raw = config.server_settings_json()
    if not raw:
        raise InvalidState(f"{config.SERVER_SETTINGS_VARIABLE} is not set; start the server with `runyard server`")
    return create_app(ServerSettings.from_json(raw))
