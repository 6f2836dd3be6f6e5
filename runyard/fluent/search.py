"""Fluent search: runs (as a DataFrame or a list) and experiments, across all pages."""

from __future__ import annotations

from typing import Any, Callable, Sequence, TypeVar

from runyard.diagnostics import get_logger
from runyard.entities import Experiment, PagedList, RunTable, ViewType
from runyard.errors import InvalidParameterValue
from runyard.fluent.experiments import experiment_id_for_new_run
from runyard.fluent.tracking_uri import current_client

_logger = get_logger(__name__)
SEARCH_MAX_RESULTS_PANDAS = 100000
RUNS_PER_PAGE = 10000
T = TypeVar("T")


def _all_pages(fetch: Callable[[int, str | None], PagedList[T]], page_size: int, max_results: int | None) -> list[T]:
    results: list[T] = []
    token: str | None = None
    while True:
        wanted = page_size if max_results is None else min(page_size, max_results - len(results))
        if wanted <= 0:
            return results
        page = fetch(wanted, token)
        results.extend(page)
        token = page.token
        if not token or not page:
            return results


def _experiment_ids_for(experiment_ids: Sequence[str] | None, experiment_names: Sequence[str] | None,
                        search_all_experiments: bool) -> list[str]:
    if experiment_ids and experiment_names:
        raise InvalidParameterValue("Only experiment_ids or experiment_names can be used, but not both")
    client = current_client()
    if experiment_names:
        ids = []
        for name in experiment_names:
            experiment = client.get_experiment_by_name(name) if name is not None else None
            if experiment is None:
                _logger.warning("Cannot retrieve experiment by name %s", name)
            else:
                ids.append(experiment.experiment_id)
        return ids
    if experiment_ids:
        return [experiment_ids] if isinstance(experiment_ids, str) else [str(i) for i in experiment_ids]
    if search_all_experiments:
        return [e.experiment_id for e in search_experiments(view_type=ViewType.ACTIVE_ONLY)]
    return [experiment_id_for_new_run(client)]


def search_runs(experiment_ids: Sequence[str] | None = None, filter_string: str = "",
                run_view_type: int = ViewType.ACTIVE_ONLY, max_results: int = SEARCH_MAX_RESULTS_PANDAS,
                order_by: list[str] | None = None, output_format: str = "pandas",
                search_all_experiments: bool = False, experiment_names: list[str] | None = None) -> Any:
    """Runs matching ``filter_string`` as a pandas DataFrame (default) or, with
    ``output_format="list"``, a list of Run.

    Experiments come from ``experiment_ids`` or ``experiment_names``; with neither, the current
    experiment (or every active one with ``search_all_experiments=True``).
    """
    if output_format not in ("pandas", "list"):
        raise ValueError(f"Unsupported output format: {output_format}. Supported string values are 'pandas' or 'list'")
    ids = _experiment_ids_for(experiment_ids, experiment_names, search_all_experiments)
    client = current_client()
    if output_format == "list":
        if not ids:
            return []
        return _all_pages(lambda n, token: client.search_runs(ids, filter_string, run_view_type, n, order_by, token),
                          RUNS_PER_PAGE, max_results)
    from runyard.client.runs_frame import table_to_frame  # pandas loads only when a frame is asked for

    table = RunTable()
    token: str | None = None
    while ids and len(table) < max_results:
        page = client.search_run_table(ids, filter_string, run_view_type,
                                       min(RUNS_PER_PAGE, max_results - len(table)), order_by, token)
        table.extend(page)
        token = page.token
        if not token or not page:
            break
    return table_to_frame(table)


def search_experiments(view_type: int = ViewType.ACTIVE_ONLY, max_results: int | None = None,
                       filter_string: str | None = None, order_by: list[str] | None = None) -> list[Experiment]:
    """Experiments matching ``filter_string`` (all of them unless ``max_results`` is given)."""
    client = current_client()
    return _all_pages(
        lambda n, token: client.search_experiments(view_type, n, filter_string, order_by, token),
        1000, max_results,
    )
