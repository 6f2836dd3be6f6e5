"""``SqlRegistryStore``: the model registry on SQLite, PostgreSQL and MySQL/MariaDB.

It lives in the tracking store's database (same engine setup, same Alembic revisions), so a
version's ``runs:/`` and ``models:/<model_id>`` sources are checked against the runs and logged
models beside it. Changes to a model's versions, stages and aliases are serialised per model (a
row lock on the registered model; SQLite serialises all writers) and audited in the same
transaction.
"""

from __future__ import annotations

from runyard.stores.registry import PromotionPolicy, RegistryStore
from runyard.stores.sql.engine import Database
from runyard.stores.sql.migrate import ensure_schema
from runyard.stores.sql.registry_aliases import RegistryAliasesMixin
from runyard.stores.sql.registry_audit import RegistryAuditMixin
from runyard.stores.sql.registry_models import RegisteredModelsMixin
from runyard.stores.sql.registry_versions import ModelVersionsMixin
from runyard.stores.sql.tracking_store import default_artifact_root_for


class SqlRegistryStore(RegisteredModelsMixin, ModelVersionsMixin, RegistryAliasesMixin, RegistryAuditMixin,
                       RegistryStore):
    """Registry store over SQLAlchemy Core; creates the schema on first use of a new database.

    ``default_artifact_root`` is the artifact root a version's source may also lie in (besides its
    run's and its logged model's); ``promotion_policy`` the rules stage transitions must satisfy.
    """

    def __init__(self, uri: str, promotion_policy: PromotionPolicy | None = None, *,
                 default_artifact_root: str | None = None) -> None:
        self.uri = uri
        self.promotion_policy = promotion_policy
        self.artifact_root = default_artifact_root or default_artifact_root_for(uri)
        self.db = Database(uri)
        try:
            ensure_schema(self.db, self.artifact_root)
        except BaseException:
            self.db.dispose()
            raise

    def close(self) -> None:
        self.db.dispose()
