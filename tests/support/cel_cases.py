"""For every CEL rule of the shared CRDs that a bundled chart's object can reach: a change that breaks
the rule and one that keeps it, applied to a valid object of the kind (tests/test_cel_rules.py).

A change maps a path in the object (a tuple of keys and indexes) to its new value, or to ``DELETE``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

DELETE = object()
Path = tuple[str | int, ...]
Changes = dict[Path, Any]

REQ: Path = ("spec", "template", "spec", "requirements")
LABELS: Path = ("spec", "template", "metadata", "labels")
REF: Path = ("spec", "template", "spec", "nodeClassRef")


@dataclass(frozen=True)
class Case:
    name: str
    breaks: Changes
    message: str
    keeps: Changes = field(default_factory=dict)


def changed(base: dict[str, Any], changes: Changes) -> dict[str, Any]:
    """A copy of ``base`` with ``changes`` made (missing maps on the way are created)."""
    obj = copy.deepcopy(base)
    for path, value in changes.items():
        node: Any = obj
        for part in path[:-1]:
            if isinstance(part, str) and part not in node:
                node[part] = {}
            node = node[part]
        if value is DELETE:
            node.pop(path[-1], None)
        elif isinstance(node, list) and path[-1] == len(node):
            node.append(copy.deepcopy(value))
        else:
            node[path[-1]] = copy.deepcopy(value)
    return obj


def _requirement(key: str, operator: str = "In", values: list[str] | None = None, **more: Any) -> dict[str, Any]:
    return {"key": key, "operator": operator, "values": ["1"] if values is None else values, **more}


def nodepool(group: str, kind: str) -> dict[str, Any]:
    """A NodePool as the karpenter-nodepool chart renders it (the example tree's "apps" pool)."""
    return {
        "apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "apps"},
        "spec": {
            "template": {
                "metadata": {"labels": {"platform.example.com/node-pool": "apps"}},
                "spec": {
                    "nodeClassRef": {"group": group, "kind": kind, "name": "apps"},
                    "requirements": [_requirement("karpenter.sh/capacity-type", values=["on-demand"]),
                                     _requirement("kubernetes.io/arch", values=["amd64", "arm64"])],
                    "taints": [{"key": "platform.example.com/node-pool", "value": "apps", "effect": "NoSchedule"}],
                    "expireAfter": "720h",
                },
            },
            "disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "600s"},
            "limits": {"cpu": "64", "memory": "256Gi"},
            "weight": 50,
        },
    }


def _nodepool_cases(provider_domains: dict[str, str]) -> list[Case]:
    """The NodePool rules both providers' CRDs share; ``provider_domains``: restricted domain -> a
    well-known label of it that is allowed."""
    cases = [
        Case("static pool with limits other than nodes", {("spec", "replicas"): 2, ("spec", "weight"): DELETE},
             "only 'limits.nodes' is supported on static NodePools",
             {("spec", "replicas"): 2, ("spec", "weight"): DELETE, ("spec", "limits"): {"nodes": "3"}}),
        Case("static pool with a weight", {("spec", "replicas"): 2, ("spec", "limits"): DELETE},
             "'weight' is not supported on static NodePools",
             {("spec", "replicas"): 2, ("spec", "limits"): DELETE, ("spec", "weight"): DELETE}),
        Case("budget schedule without duration",
             {("spec", "disruption", "budgets"): [{"nodes": "10%", "schedule": "@daily"}]},
             "'schedule' must be set with 'duration'",
             {("spec", "disruption", "budgets"): [{"nodes": "10%", "schedule": "@daily", "duration": "10m"}]}),
        Case("label in the karpenter.sh domain", {(*LABELS, "karpenter.sh/custom"): "x"},
             'label domain "karpenter.sh" is restricted', {(*LABELS, "karpenter.sh/capacity-type"): "spot"}),
        Case("label karpenter.sh/nodepool", {(*LABELS, "karpenter.sh/nodepool"): "x"},
             'label "karpenter.sh/nodepool" is restricted', {(*LABELS, "example.com/nodepool"): "x"}),
        Case("label kubernetes.io/hostname", {(*LABELS, "kubernetes.io/hostname"): "x"},
             'label "kubernetes.io/hostname" is restricted', {(*LABELS, "kubernetes.io/os"): "linux"}),
        Case("empty nodeClassRef group", {(*REF, "group"): ""}, "group may not be empty"),
        Case("empty nodeClassRef kind", {(*REF, "kind"): ""}, "kind may not be empty"),
        Case("empty nodeClassRef name", {(*REF, "name"): ""}, "name may not be empty"),
        Case("In without values", {(*REQ, 2): _requirement("example.com/a", values=[])},
             "requirements with operator 'In' must have a value defined",
             {(*REQ, 2): _requirement("example.com/a", "Exists", values=[])}),
        Case("Gt with two values",
             {(*REQ, 2): _requirement("example.com/cpu", "Gt", ["2", "4"])},
             "requirements operator 'Gt', 'Lt', 'Gte', or 'Lte' must have a single positive integer value",
             {(*REQ, 2): _requirement("example.com/cpu", "Gt", ["2"])}),
        Case("Lt with a word", {(*REQ, 2): _requirement("example.com/cpu", "Lt", ["many"])},
             "cannot be evaluated here: Function 'int' error",
             {(*REQ, 2): _requirement("example.com/cpu", "Lt", ["8"])}),
        Case("minValues above the values given",
             {(*REQ, 2): _requirement("example.com/family", values=["a", "b"], minValues=3)},
             "requirements with 'minValues' must have at least that many values specified in the 'values' field",
             {(*REQ, 2): _requirement("example.com/family", values=["a", "b"], minValues=2)}),
        Case("requirement in the karpenter.sh domain", {(*REQ, 2): _requirement("karpenter.sh/custom")},
             'label domain "karpenter.sh" is restricted', {(*REQ, 2): _requirement("karpenter.sh/capacity-type")}),
        Case("requirement on karpenter.sh/nodepool", {(*REQ, 2): _requirement("karpenter.sh/nodepool")},
             'label "karpenter.sh/nodepool" is restricted', {(*REQ, 2): _requirement("example.com/nodepool")}),
        Case("requirement on kubernetes.io/hostname", {(*REQ, 2): _requirement("kubernetes.io/hostname")},
             'label "kubernetes.io/hostname" is restricted', {(*REQ, 2): _requirement("kubernetes.io/os")}),
    ]
    for domain, allowed in provider_domains.items():
        cases += [
            Case(f"label in the {domain} domain", {(*LABELS, f"{domain}/custom"): "x"},
                 f'label domain "{domain}" is restricted', {(*LABELS, allowed): "x"}),
            Case(f"requirement in the {domain} domain", {(*REQ, 2): _requirement(f"{domain}/custom")},
                 f'label domain "{domain}" is restricted', {(*REQ, 2): _requirement(allowed)}),
        ]
    return cases


AWS_NODEPOOL_CASES = _nodepool_cases({"karpenter.k8s.aws": "karpenter.k8s.aws/instance-family"})
AZURE_NODEPOOL_CASES = _nodepool_cases({"karpenter.azure.com": "karpenter.azure.com/sku-family",
                                        "kubernetes.azure.com": "kubernetes.azure.com/mode"}) + [
    case
    for label in ("agentpool", "storageprofile", "storagetier", "accelerator")
    for case in (Case(f"label {label}", {(*LABELS, label): "x"}, f'label "{label}" is restricted',
                      {(*LABELS, f"example.com/{label}"): "x"}),
                 Case(f"requirement on {label}", {(*REQ, 2): _requirement(label)}, f'label "{label}" is restricted',
                      {(*REQ, 2): _requirement(f"example.com/{label}")}))
]


def ec2nodeclass() -> dict[str, Any]:
    """An EC2NodeClass as the karpenter-nodepool chart renders it."""
    return {
        "apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "metadata": {"name": "apps"},
        "spec": {
            "role": "KarpenterNodeRole-play-euw1",
            "amiSelectorTerms": [{"alias": "al2023@latest"}],
            "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": "play-euw1"}}],
            "securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": "play-euw1"}}],
            "tags": {"CostCode": "CC-9000", "NodePool": "apps", "Project": "playground"},
            "kubelet": {"clusterDNS": ["172.20.0.10"]},
        },
    }


AMI: Path = ("spec", "amiSelectorTerms")
SUBNETS: Path = ("spec", "subnetSelectorTerms")
GROUPS: Path = ("spec", "securityGroupSelectorTerms")
KUBELET: Path = ("spec", "kubelet")
# The locations of EC2NodeClass rules the chart's object reaches (it renders nothing else).
EC2NODECLASS_REACHED = frozenset({
    "spec", "spec.role", "spec.instanceProfile", "spec.amiSelectorTerms", "spec.amiSelectorTerms[*].alias",
    "spec.subnetSelectorTerms", "spec.subnetSelectorTerms[*].tags", "spec.securityGroupSelectorTerms",
    "spec.securityGroupSelectorTerms[*].tags", "spec.tags", "spec.kubelet",
})
EC2NODECLASS_CASES = [
    Case("both role and instanceProfile", {("spec", "instanceProfile"): "profile"},
         "must specify exactly one of ['role', 'instanceProfile']",
         {("spec", "instanceProfile"): "profile", ("spec", "role"): DELETE}),
    *(Case(f"amiFamily against a {family} alias", {("spec", "amiFamily"): "AL2", (*AMI, 0, "alias"): f"{alias}@latest"}
           if family != "AL2" else {("spec", "amiFamily"): "AL2023", (*AMI, 0, "alias"): "al2@latest"},
           f"if set, amiFamily must be '{family}' or 'Custom' when using {article} {family} alias",
           {("spec", "amiFamily"): "Custom", (*AMI, 0, "alias"): f"{alias}@latest"})
      for family, alias, article in (("AL2", "al2", "an"), ("AL2023", "al2023", "an"),
                                     ("Bottlerocket", "bottlerocket", "a"), ("Windows2019", "windows2019", "a"),
                                     ("Windows2022", "windows2022", "a"), ("Windows2025", "windows2025", "a"))),
    Case("no alias and no amiFamily", {(*AMI, 0): {"id": "ami-0123456789abcdef0"}},
         "must specify amiFamily if amiSelectorTerms does not contain an alias",
         {(*AMI, 0): {"id": "ami-0123456789abcdef0"}, ("spec", "amiFamily"): "AL2023"}),
    Case("an empty AMI term", {(*AMI, 0): {}, ("spec", "amiFamily"): "AL2023"},
         "expected at least one, got none, ['tags', 'id', 'name', 'alias', 'ssmParameter']",
         {(*AMI, 0): {"name": "my-ami"}, ("spec", "amiFamily"): "AL2023"}),
    Case("id with a name", {(*AMI, 0): {"id": "ami-0123456789abcdef0", "name": "x"}, ("spec", "amiFamily"): "AL2023"},
         "'id' is mutually exclusive, cannot be set with a combination of other fields in amiSelectorTerms",
         {(*AMI, 0): {"id": "ami-0123456789abcdef0"}, ("spec", "amiFamily"): "AL2023"}),
    Case("alias with a name", {(*AMI, 0, "name"): "x"},
         "'alias' is mutually exclusive, cannot be set with a combination of other fields in amiSelectorTerms"),
    Case("alias beside another term", {(*AMI, 1): {"name": "x"}},
         "'alias' is mutually exclusive, cannot be set with a combination of other amiSelectorTerms",
         {(*AMI, 0): {"name": "y"}, (*AMI, 1): {"name": "x"}, ("spec", "amiFamily"): "AL2023"}),
    Case("alias without a version", {(*AMI, 0, "alias"): "al2023"},
         "'alias' is improperly formatted, must match the format 'family@version'"),
    Case("alias of an unknown family", {(*AMI, 0, "alias"): "ubuntu@latest"},
         "family is not supported, must be one of the following: 'al2', 'al2023', 'bottlerocket', 'windows2019', "
         "'windows2022', 'windows2025'", {(*AMI, 0, "alias"): "bottlerocket@v1.20.0"}),
    Case("windows alias pinned", {(*AMI, 0, "alias"): "windows2022@v1"},
         "windows families may only specify version 'latest'", {(*AMI, 0, "alias"): "windows2022@latest"}),
    Case("empty instanceProfile", {("spec", "instanceProfile"): "", ("spec", "role"): DELETE},
         "instanceProfile cannot be empty"),
    Case("empty role", {("spec", "role"): ""}, "role cannot be empty"),
    Case("image GC thresholds crossed",
         {(*KUBELET, "imageGCHighThresholdPercent"): 50, (*KUBELET, "imageGCLowThresholdPercent"): 60},
         "imageGCHighThresholdPercent must be greater than imageGCLowThresholdPercent",
         {(*KUBELET, "imageGCHighThresholdPercent"): 85, (*KUBELET, "imageGCLowThresholdPercent"): 80}),
    Case("evictionSoft without grace period",
         {(*KUBELET, "evictionSoft"): {"memory.available": "5%"}, (*KUBELET, "evictionSoftGracePeriod"): {}},
         "evictionSoft OwnerKey does not have a matching evictionSoftGracePeriod",
         {(*KUBELET, "evictionSoft"): {"memory.available": "5%"},
          (*KUBELET, "evictionSoftGracePeriod"): {"memory.available": "1m"}}),
    Case("grace period without evictionSoft",
         {(*KUBELET, "evictionSoftGracePeriod"): {"memory.available": "1m"}, (*KUBELET, "evictionSoft"): {}},
         "evictionSoftGracePeriod OwnerKey does not have a matching evictionSoft"),
    *(case for name, terms, extra in (("securityGroupSelectorTerms", GROUPS, "name"),
                                      ("subnetSelectorTerms", SUBNETS, None))
      for case in (
          Case(f"no {name}", {terms: []}, f"{name} cannot be empty"),
          Case(f"an empty term of {name}", {(*terms, 0): {}},
               "expected at least one, got none, " + ("['tags', 'id', 'name']" if extra else "['tags', 'id']"),
               {(*terms, 0): {"id": "sg-1" if extra else "subnet-1"}}),
          Case(f"id with tags in {name}", {(*terms, 0, "id"): "sg-1" if extra else "subnet-1"},
               "'id' is mutually exclusive, cannot be set with a combination of other fields in "
               + ("a security group selector term" if extra else "a subnet selector term")),
          Case(f"an empty tag value in {name}", {(*terms, 0, "tags", "team"): ""},
               "empty tag keys or values aren't supported", {(*terms, 0, "tags", "team"): "a"}),
      )),
    Case("name with tags in securityGroupSelectorTerms", {(*GROUPS, 0, "name"): "x"},
         "'name' is mutually exclusive, cannot be set with a combination of other fields in a security group "
         "selector term", {(*GROUPS, 0): {"name": "x"}}),
    Case("an empty tag key", {("spec", "tags", ""): "x"}, "empty tag keys aren't supported"),
    *(Case(f"restricted tag {key}", {("spec", "tags", key): "x"}, f"tag contains a restricted tag matching {shown}",
           {("spec", "tags", f"example.com/{key.replace(':', '-')}"): "x"})
      for key, shown in (("eks:eks-cluster-name", "eks:eks-cluster-name"),
                         ("kubernetes.io/cluster/play", "kubernetes.io/cluster/"),
                         ("karpenter.sh/nodepool", "karpenter.sh/nodepool"),
                         ("karpenter.sh/nodeclaim", "karpenter.sh/nodeclaim"),
                         ("karpenter.k8s.aws/ec2nodeclass", "karpenter.k8s.aws/ec2nodeclass"))),
]


def aksnodeclass() -> dict[str, Any]:
    """An AKSNodeClass (karpenter.azure.com/v1beta1) built by hand: the chart does not render one yet."""
    return {"apiVersion": "karpenter.azure.com/v1beta1", "kind": "AKSNodeClass", "metadata": {"name": "apps"},
            "spec": {"imageFamily": "AzureLinux", "tags": {"CostCode": "CC-9000"}}}


def _dns_override(zone: str, destination: str = "ClusterCoreDNS", **more: Any) -> dict[str, Any]:
    return {"zone": zone, "forwardDestination": destination, "forwardPolicy": "Sequential", "maxConcurrent": 100,
            "protocol": "PreferUDP", "queryLogging": "Error", "serveStale": "Immediate",
            "serveStaleDuration": "1h", "cacheDuration": "1h", **more}


_KUBE_DNS = [_dns_override("."), _dns_override("cluster.local")]
_VNET_DNS = [_dns_override(".", "VnetDNS"), _dns_override("cluster.local")]
LOCAL_DNS: Path = ("spec", "localDNS")
SYSCTLS: Path = ("spec", "linuxOSConfig", "sysctls")
AKS_KUBELET: Path = ("spec", "kubelet")


def _local_dns(kube: list[dict[str, Any]] | None = None, vnet: list[dict[str, Any]] | None = None) -> Changes:
    return {LOCAL_DNS: {"mode": "Preferred", "kubeDNSOverrides": _KUBE_DNS if kube is None else kube,
                        "vnetDNSOverrides": _VNET_DNS if vnet is None else vnet}}


AKSNODECLASS_CASES = [
    Case("FIPS on Ubuntu2204", {("spec", "fipsMode"): "FIPS", ("spec", "imageFamily"): "Ubuntu2204"},
         "FIPS is not yet supported for Ubuntu2204 or Ubuntu2404",
         # (imageFamily left out: the CRD's default, Ubuntu, is what the API server checks)
         {("spec", "fipsMode"): "FIPS", ("spec", "imageFamily"): DELETE}),
    Case("swap without failSwapOn false", {("spec", "linuxOSConfig", "swapFileSize"): "2Gi"},
         "kubelet.failSwapOn must be set to false when linuxOSConfig.swapFileSize is specified",
         {("spec", "linuxOSConfig", "swapFileSize"): "2Gi", (*AKS_KUBELET, "failSwapOn"): False}),
    Case("image GC thresholds crossed",
         {(*AKS_KUBELET, "imageGCHighThresholdPercent"): 50, (*AKS_KUBELET, "imageGCLowThresholdPercent"): 60},
         "imageGCHighThresholdPercent must be greater than imageGCLowThresholdPercent",
         {(*AKS_KUBELET, "imageGCHighThresholdPercent"): 85, (*AKS_KUBELET, "imageGCLowThresholdPercent"): 80}),
    *(Case(f"{low} above {high}", {(*SYSCTLS, low): size + 1000, (*SYSCTLS, high): size}, f"{low} must be <= {high}",
           {(*SYSCTLS, low): size, (*SYSCTLS, high): size})
      for low, high, size in (("netCoreRmemDefault", "netCoreRmemMax", 300000),
                              ("netCoreWmemDefault", "netCoreWmemMax", 300000),
                              ("netIPv4NeighDefaultGcThresh1", "netIPv4NeighDefaultGcThresh2", 4000),
                              ("netIPv4NeighDefaultGcThresh2", "netIPv4NeighDefaultGcThresh3", 4000))),
    Case("local port range starting low", {(*SYSCTLS, "netIPv4IPLocalPortRange"): "80 40000"},
         "netIPv4IPLocalPortRange first port must be in [1024, 60999]",
         {(*SYSCTLS, "netIPv4IPLocalPortRange"): "32768 60999"}),
    Case("local port range ending low", {(*SYSCTLS, "netIPv4IPLocalPortRange"): "2000 3000"},
         "netIPv4IPLocalPortRange last port must be in [32768, 65535]"),
    Case("local port range reversed", {(*SYSCTLS, "netIPv4IPLocalPortRange"): "60000 40000"},
         "netIPv4IPLocalPortRange first port must be <= last port"),
    *(case for field_name, other in (("kubeDNSOverrides", "vnet"), ("vnetDNSOverrides", "kube"))
      for case in (
          Case(f"{field_name} without cluster.local",
               _local_dns(**{field_name[:4]: [_dns_override(".", "VnetDNS" if other == "kube" else "ClusterCoreDNS")]}),
               "must contain required zones '.' and 'cluster.local'", _local_dns()),
          Case(f"{field_name}: cluster.local to VnetDNS",
               _local_dns(**{field_name[:4]: [_dns_override(".", "VnetDNS"), _dns_override("cluster.local", "VnetDNS")]}),
               "'cluster.local' cannot be forwarded to VnetDNS"),
          Case(f"{field_name}: serveStale Verify over TCP",
               _local_dns(**{field_name[:4]: [
                   _dns_override(".", "VnetDNS"), _dns_override("cluster.local", serveStale="Verify", protocol="ForceTCP")]}),
               "serveStale Verify cannot be used with protocol ForceTCP"),
      )),
    Case("vnetDNSOverrides: root zone to CoreDNS", _local_dns(vnet=[_dns_override("."), _dns_override("cluster.local")]),
         "root zone '.' cannot be forwarded to ClusterCoreDNS from vnetDNSOverrides"),
    Case("vnetDNSOverrides: external domain to CoreDNS",
         _local_dns(vnet=[*_VNET_DNS, _dns_override("example.com")]),
         "external domains cannot be forwarded to ClusterCoreDNS from vnetDNSOverrides",
         _local_dns(vnet=[*_VNET_DNS, _dns_override("example.com", "VnetDNS")])),
    Case("a tag key too long", {("spec", "tags", "k" * 513): "x"}, "tags keys must be less than 512 characters",
         {("spec", "tags", "k" * 512): "x"}),
    Case("a tag key with <", {("spec", "tags", "a<b"): "x"}, "tags keys must not contain '<', '>', '%', '&', or '?'"),
    Case("a tag key with a backslash", {("spec", "tags", "a\\b"): "x"}, "tags keys must not contain '\\'"),
    Case("a tag value too long", {("spec", "tags", "k"): "v" * 257}, "tags values must be less than 256 characters",
         {("spec", "tags", "k"): "v" * 256}),
]


def helmrelease() -> dict[str, Any]:
    """A Flux HelmRelease (helm.toolkit.fluxcd.io/v2) built by hand: the chart does not render one yet."""
    return {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "metadata": {"name": "app"},
            "spec": {"interval": "10m", "chart": {"spec": {"chart": "app", "sourceRef": {
                "kind": "HelmRepository", "name": "charts"}}}}}


HELMRELEASE_CASES = [
    Case("both chart and chartRef", {("spec", "chartRef"): {"kind": "OCIRepository", "name": "app"}},
         "either chart or chartRef must be set",
         {("spec", "chartRef"): {"kind": "OCIRepository", "name": "app"}, ("spec", "chart"): DELETE}),
    Case("install retryInterval with RemediateOnFailure",
         {("spec", "install", "strategy"): {"name": "RemediateOnFailure", "retryInterval": "5m"}},
         ".retryInterval cannot be set when .name is 'RemediateOnFailure'",
         {("spec", "install", "strategy"): {"name": "RetryOnFailure", "retryInterval": "5m"}}),
    Case("upgrade retryInterval with RemediateOnFailure",
         {("spec", "upgrade", "strategy"): {"name": "RemediateOnFailure", "retryInterval": "5m"}},
         ".retryInterval can only be set when .name is 'RetryOnFailure'",
         {("spec", "upgrade", "strategy"): {"name": "RetryOnFailure", "retryInterval": "5m"}}),
    Case("kubeConfig with neither ref", {("spec", "kubeConfig"): {}},
         "exactly one of spec.kubeConfig.configMapRef or spec.kubeConfig.secretRef must be specified",
         {("spec", "kubeConfig"): {"secretRef": {"name": "kubeconfig"}}}),
    Case("kubeConfig with both refs",
         {("spec", "kubeConfig"): {"secretRef": {"name": "a"}, "configMapRef": {"name": "b"}}},
         "exactly one of spec.kubeConfig.configMapRef or spec.kubeConfig.secretRef must be specified"),
]
