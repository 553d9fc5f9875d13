{{/*
Helpers shared by all tenantgen charts (keep this block identical in every chart).
*/}}

{{/* "<chart>-<version>" for the helm.sh/chart label; "+" is not allowed in label values. */}}
{{- define "tenantgen.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The platform's label/annotation prefix, e.g. platform.example.com. */}}
{{- define "tenantgen.labelPrefix" -}}
{{- required "context.labelPrefix is required" .Values.context.labelPrefix -}}
{{- end -}}

{{/*
A map of scalars as YAML, one line '"<key>": <value>' per key, in key order. Written with toJson:
a JSON string is a valid YAML scalar whatever it holds (no YAML reads it as anything else), and
toJson costs a small part of what toYaml does (a conversion to JSON and back on every call).
*/}}
{{- define "tenantgen.scalarMap" -}}
{{- $separator := "" -}}
{{- range $key, $value := . -}}
{{ $separator }}{{ toJson $key }}: {{ toJson $value }}
{{- $separator = "\n" -}}
{{- end -}}
{{- end -}}

{{/* Labels every object gets. */}}
{{- define "tenantgen.labels" -}}
app.kubernetes.io/managed-by: tenantgen
app.kubernetes.io/part-of: tenantgen
helm.sh/chart: {{ include "tenantgen.chart" . }}
{{- end -}}

{{/*
Common labels plus "<labelPrefix>/tenant: <tenant>".
Call with (dict "root" $ "tenant" $tenantName).
*/}}
{{- define "tenantgen.tenantLabels" -}}
{{ include "tenantgen.labels" .root }}
{{ include "tenantgen.labelPrefix" .root }}/tenant: {{ .tenant | quote }}
{{- end -}}

{{/*
Helpers of the tenant chart.
*/}}

{{- define "tenant.name" -}}
{{- required "tenant.name is required" .Values.tenant.name -}}
{{- end -}}

{{/*
Labels Capsule stamps on every namespace and service of the tenant (YAML map).
The platform's keys win over the user's additionalMetadata.labels: a tenant must not be able
to relabel itself into another tenant or cost center.
*/}}
{{- define "tenant.stampedLabels" -}}
{{- include "tenant.labelsWith" (dict "root" . "podSecurity" "") -}}
{{- end -}}

{{/*
Labels Capsule stamps on every namespace of the tenant: the stamped labels plus the Pod Security
admission labels. The enforce level is the platform's (or the tenant's stricter one); warn and audit
are always restricted, so that every namespace shows what the strictest level would refuse.
*/}}
{{- define "tenant.namespaceLabels" -}}
{{- include "tenant.labelsWith" (dict "root" . "podSecurity" .Values.tenant.podSecurity) -}}
{{- end -}}

{{/* Call with (dict "root" $ "podSecurity" $level); "" adds no Pod Security labels. */}}
{{- define "tenant.labelsWith" -}}
{{- $root := .root -}}
{{- $prefix := include "tenantgen.labelPrefix" $root -}}
{{- $labels := dict (printf "%s/tenant" $prefix) (include "tenant.name" $root) -}}
{{- with $root.Values.tenant.costCenter -}}
{{- $_ := set $labels (printf "%s/cost-center" $prefix) . -}}
{{- end -}}
{{- with .podSecurity -}}
{{- $_ := set $labels "pod-security.kubernetes.io/enforce" . -}}
{{- $_ := set $labels "pod-security.kubernetes.io/warn" "restricted" -}}
{{- $_ := set $labels "pod-security.kubernetes.io/audit" "restricted" -}}
{{- end -}}
{{- include "tenantgen.scalarMap" (merge $labels $root.Values.tenant.additionalMetadata.labels) -}}
{{- end -}}

{{/*
The tenant's allowed host names as a regex over a whole URI (scheme://[userinfo@]host[:port][/...]):
the URI's host must be one of the tenant's, with the same anchoring and wildcard rule as hostnameRegex.
"" when the tenant has no host names.
*/}}
{{- define "tenant.uriRegex" -}}
{{- with .Values.tenant.ingress.hostnameRegex -}}
{{- printf "^[a-zA-Z][a-zA-Z0-9+.-]*://([^/?#@]*@)?%s(:[0-9]*)?([/?#].*)?$" (trimSuffix "$" (trimPrefix "^" .)) -}}
{{- end -}}
{{- end -}}

{{/* Annotations Capsule stamps on every namespace and service of the tenant (YAML map). */}}
{{- define "tenant.stampedAnnotations" -}}
{{- $prefix := include "tenantgen.labelPrefix" . -}}
{{- $ctx := .Values.context -}}
{{- $annotations := dict
      (printf "%s/generated-by" $prefix) (printf "tenantgen %s" (required "context.tenantgenVersion is required" $ctx.tenantgenVersion))
      (printf "%s/source" $prefix) (required "context.source is required" $ctx.source) -}}
{{- with .Values.tenant.contact.slack -}}
{{- $_ := set $annotations (printf "%s/contact-slack" $prefix) . -}}
{{- end -}}
{{- with .Values.tenant.contact.email -}}
{{- $_ := set $annotations (printf "%s/contact-email" $prefix) . -}}
{{- end -}}
{{- include "tenantgen.scalarMap" (merge $annotations .Values.tenant.additionalMetadata.annotations) -}}
{{- end -}}

{{/*
Tenant-wide hard quota ("requests.cpu" etc.) from .Values.tenant.resources, only the keys set
(YAML map; "" when none).
This helper and the next return the final YAML text, which the caller inserts as is: a map handed
over as YAML (toYaml here, fromYaml + toYaml again in the caller) would be among the costliest
things a render does.
*/}}
{{- define "tenant.quotaHard" -}}
{{- $hard := dict -}}
{{- range $scope := list "requests" "limits" -}}
{{- range $resource, $quantity := get $.Values.tenant.resources $scope | default dict -}}
{{- $_ := set $hard (printf "%s.%s" $scope $resource) $quantity -}}
{{- end -}}
{{- end -}}
{{- include "tenantgen.scalarMap" $hard -}}
{{- end -}}

{{/*
The limits of the tenant's LimitRange: a YAML list with the one Container limit ("" when none of
default, defaultRequest and max is set).
*/}}
{{- define "tenant.containerLimits" -}}
{{- $limitRange := .Values.tenant.limitRange | default dict -}}
{{- if or (get $limitRange "default") (get $limitRange "defaultRequest") (get $limitRange "max") -}}
- type: Container
{{- range $part := list "default" "defaultRequest" "max" }}
{{- with get $limitRange $part }}
  {{ $part }}:
    {{- include "tenantgen.scalarMap" . | nindent 4 }}
{{- end }}
{{- end }}
{{- end -}}
{{- end -}}
