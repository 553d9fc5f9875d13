"""The checks on a cluster's delivery settings that a schema cannot state: the settings of the tier
and the cluster together (``repoURL`` needed once either turns Flux or Argo CD on), and a ``path``
that stays inside the repository."""

from __future__ import annotations

from collections.abc import Iterator

from tenantgen.findings import Finding
from tenantgen.json_path import JsonPath
from tenantgen.merge import ClusterModel

DELIVERY = ("spec", "delivery")


def check_delivery(cluster: ClusterModel) -> Iterator[Finding]:
    """Findings about the cluster's effective ``delivery``, each at the line that set the value."""
    delivery = cluster.delivery
    if delivery.needs_repository and not delivery.repo_url:
        on = "flux" if delivery.flux != "none" else "argocd"
        what = f"flux is {delivery.flux!r}" if on == "flux" else "argocd is true"
        yield _at(cluster, (on,), f"{what} but no repoURL is set: Flux and Argo CD need "
                  "the Git repository OUT is committed to (set delivery.repoURL in the tier or the cluster, "
                  "e.g. https://git.example.com/platform/gitops.git)", "delivery-repository")
    if delivery.flux != "none" and delivery.repo_url.startswith("git@"):
        # Flux's GitRepository CRD takes only http(s):// and ssh:// URLs: the scp-like form Argo CD and
        # git accept would be refused by the API server when Flux applies the GitRepository.
        host, _, repo = delivery.repo_url[len("git@"):].partition(":")
        yield _at(cluster, ("repoURL",), f"{delivery.repo_url!r} is the scp-like form, which Flux's "
                  f"GitRepository refuses (its url must be http://, https:// or ssh://); write it as "
                  f"ssh://git@{host}/{repo}", "delivery-repository")
    path = str(cluster.delivery_merged.value.get("path", ""))
    if path.startswith("/"):
        yield _at(cluster, ("path",), f"{path!r} starts at '/': path is OUT's folder relative to the "
                  "repository's root (e.g. clusters/out)", "delivery-path")
    elif ".." in path.split("/"):
        yield _at(cluster, ("path",), f"{path!r} has a '..': path must stay inside the repository "
                  "(a folder below its root, e.g. clusters/out)", "delivery-path")


def _at(cluster: ClusterModel, path: JsonPath, message: str, code: str) -> Finding:
    origin = cluster.delivery_merged.origin(path)
    if origin is None:  # (not set anywhere: the tier's delivery block is where it belongs)
        doc = cluster.tier_doc
        return doc.finding(DELIVERY if "delivery" in doc.spec else ("spec",), message, code)
    return origin.doc.finding(origin.path, message, code)
