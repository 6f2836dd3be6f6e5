"""``RunyardClient.diff_runs``: two runs side by side (the comparison itself is
``runyard.entities.run_diff``, shared with the server's ``runs/diff`` route)."""

from __future__ import annotations

from runyard.entities import FileInfo, Run
from runyard.entities.run_diff import MAX_DIFF_ARTIFACTS, RunDiff, diff_runs
from runyard.stores.factory import artifact_store_for
from runyard.stores.tracking import TrackingStore


class RunDiffs:
    """The diff method of the client; relies on ``self._store`` and ``self._tracking_uri``."""

    _store: TrackingStore
    _tracking_uri: str

    def diff_runs(self, run_a: str, run_b: str) -> RunDiff:
        """Compare two runs: params, latest metrics and tags by key, artifact files by path and size.

        Each entry has a status ``same``, ``changed``, ``only_a`` or ``only_b``; artifact listings
        stop at ``MAX_DIFF_ARTIFACTS`` files per run (``RunDiff.truncated`` says so). Raises
        ``ResourceDoesNotExist`` when either run is missing."""
        a, b = self._store.get_run(run_a), self._store.get_run(run_b)
        files_a, cut_a = self._artifact_files(a)
        files_b, cut_b = self._artifact_files(b)
        return diff_runs(a, b, files_a, files_b, cut_a or cut_b)

    def _artifact_files(self, run: Run) -> tuple[list[FileInfo], bool]:
        if not run.info.artifact_uri:
            return [], False
        store = artifact_store_for(run.info.artifact_uri, self._tracking_uri)
        return store.list_files(None, MAX_DIFF_ARTIFACTS)
