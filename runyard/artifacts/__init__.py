"""``runyard.artifacts``: download, list and load artifacts named by URI or by run."""

from runyard.client.artifacts import download_artifacts, list_artifacts, load_dict, load_image, load_text

__all__ = ["download_artifacts", "list_artifacts", "load_dict", "load_image", "load_text"]
