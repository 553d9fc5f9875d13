"""How a cluster's OUT folder is delivered: the tier's ``spec.delivery`` with the cluster's merged over it.

Every key is a scalar, so the merge is key by key (``null`` in the cluster removes the tier's value,
as everywhere else). Defaults are filled in here, once, so that validation, the plan and the files
under ``flux/`` and ``argocd/`` read the same settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from tenantgen.load import Document
from tenantgen.merge.layers import Layer, Merged, merge_layers

FLUX_FLAVOURS = ("helmrelease", "manifests", "none")
DEFAULT_REVISION = "main"
DEFAULT_FLUX_NAMESPACE = "flux-system"
# The service account a default Flux install gives kustomize-controller, bound to cluster-admin: the
# charts create cluster-scoped objects (Tenants, NodePools), which a narrower account could not.
DEFAULT_FLUX_SERVICE_ACCOUNT = "kustomize-controller"
DEFAULT_ARGOCD_PROJECT = "default"
DELIVERY = ("spec", "delivery")


@dataclass(frozen=True)
class Delivery:
    """A cluster's effective delivery settings, defaults filled in."""

    repo_url: str  # "" when neither the tier nor the cluster sets one
    revision: str
    path: str  # OUT's folder inside the repository, without a trailing "/" ("" for its root)
    helmfile: bool
    flux: str  # one of FLUX_FLAVOURS
    argocd: bool
    flux_namespace: str
    flux_service_account: str
    flux_secret: str  # "" when the repository needs no credentials
    argocd_project: str

    @property
    def needs_repository(self) -> bool:
        """Whether Flux or Argo CD read OUT from ``repo_url``."""
        return self.flux != "none" or self.argocd

    def in_repository(self, rel: str) -> str:
        """``rel`` (a path in OUT) as a path inside the repository, the ``./`` form Flux documents."""
        return f"./{self.path}/{rel}" if self.path else f"./{rel}"


def merge_delivery(tier_doc: Document, cluster_doc: Document) -> Merged:
    """The tier's ``spec.delivery`` with the cluster's merged over it, each value with its origin."""
    return merge_layers([
        Layer("tier delivery", tier_doc, DELIVERY, tier_doc.spec.get("delivery") or {}),
        Layer("cluster delivery", cluster_doc, DELIVERY, cluster_doc.spec.get("delivery") or {}),
    ])


def delivery_of(merged: Merged) -> Delivery:
    value = merged.value
    return Delivery(
        repo_url=str(value.get("repoURL", "")),
        revision=str(value.get("revision", DEFAULT_REVISION)),
        # "./clusters//out/" names the folder "clusters/out" names: one spelling in every object.
        path="/".join(part for part in str(value.get("path", "")).split("/") if part not in ("", ".")),
        helmfile=bool(value.get("helmfile", True)),
        flux=str(value.get("flux", "none")),
        argocd=bool(value.get("argocd", False)),
        flux_namespace=str(value.get("fluxNamespace", DEFAULT_FLUX_NAMESPACE)),
        flux_service_account=str(value.get("fluxServiceAccount", DEFAULT_FLUX_SERVICE_ACCOUNT)),
        flux_secret=str(value.get("fluxSecret", "")),
        argocd_project=str(value.get("argocdProject", DEFAULT_ARGOCD_PROJECT)),
    )
