"""A database that cannot be reached gives one clear runyard error, never a driver traceback."""

from __future__ import annotations

import pytest

from runyard.errors import TemporarilyUnavailable
from runyard.stores.sql.tracking_store import SqlTrackingStore


def test_sqlite_file_in_missing_directory(tmp_path):
    uri = f"sqlite:///{tmp_path}/missing/dir/runyard.db"
    with pytest.raises(TemporarilyUnavailable, match="unable to open database file") as info:
        SqlTrackingStore(uri)
    assert uri in str(info.value)


@pytest.mark.parametrize("uri", ["postgresql://someone:s3cret@127.0.0.1:1/db", "mysql://someone:s3cret@127.0.0.1:1/db"])
def test_unreachable_server_hides_password(uri):
    with pytest.raises(TemporarilyUnavailable, match="Cannot use the database") as info:
        SqlTrackingStore(uri)
    assert "s3cret" not in str(info.value)
    assert "127.0.0.1" in str(info.value)
