"""``SqlTrackingStore``: the tracking store on SQLite, PostgreSQL and MySQL/MariaDB."""

from __future__ import annotations

import os

from runyard import uris
from runyard.stores.sql.engine import Database
from runyard.stores.sql.experiments import ExperimentsMixin
from runyard.stores.sql.logged_models import LoggedModelsMixin
from runyard.stores.sql.metric_downsampling import MetricDownsamplingMixin
from runyard.stores.sql.metric_summaries import MetricSummariesMixin
from runyard.stores.sql.migrate import ensure_schema
from runyard.stores.sql.run_logging import RunLoggingMixin
from runyard.stores.sql.run_views import RunViewsMixin
from runyard.stores.sql.runs import RunsMixin
from runyard.stores.sql.statements import Statements
from runyard.stores.tracking import TrackingStore


def default_artifact_root_for(uri: str) -> str:
    """Artifacts beside a SQLite file; in the working directory for server databases."""
    path = uris.sqlite_path_of(uri) if uris.scheme_of(uri) == "sqlite" else None
    base = os.path.dirname(path) if path else os.getcwd()
    return uris.path_to_file_uri(os.path.join(base, uris.DEFAULT_ARTIFACT_DIR))


class SqlTrackingStore(ExperimentsMixin, RunsMixin, RunLoggingMixin, LoggedModelsMixin, RunViewsMixin,
                       MetricDownsamplingMixin, MetricSummariesMixin, TrackingStore):
    """Tracking store over SQLAlchemy Core; creates its schema on first use of a new database."""

    def __init__(self, uri: str, default_artifact_root: str | None = None) -> None:
        self.uri = uri
        self.artifact_root = default_artifact_root or default_artifact_root_for(uri)
        self.db = Database(uri)
        try:
            ensure_schema(self.db, self.artifact_root)
        except BaseException:
            # No store comes back to close, so its pooled connections must not outlive the failure.
            self.db.dispose()
            raise
        self.sql = Statements(self.db)

    def close(self) -> None:
        self.db.dispose()
