"""The tracking client: ``RunyardClient`` (alias ``MlflowClient``)."""

from runyard.client.async_queue import RunOperations
from runyard.client.tracking_client import MlflowClient, RunyardClient

__all__ = ["MlflowClient", "RunOperations", "RunyardClient"]
