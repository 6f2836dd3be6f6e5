"""``runyard.tracking``: the client and the tracking and registry URIs, where MLflow keeps them."""

from runyard.client import MlflowClient, RunyardClient
from runyard.fluent.tracking_uri import (
    get_registry_uri,
    get_tracking_uri,
    is_tracking_uri_set,
    set_registry_uri,
    set_tracking_uri,
)

__all__ = ["MlflowClient", "RunyardClient", "get_registry_uri", "get_tracking_uri", "is_tracking_uri_set",
           "set_registry_uri", "set_tracking_uri"]
