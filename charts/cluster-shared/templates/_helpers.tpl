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
Helpers of the cluster-shared chart.
*/}}

{{/* Selects every namespace of every tenant: Capsule labels each of them with capsule.clastix.io/tenant. */}}
{{- define "shared.tenantNamespaces" -}}
matchExpressions:
  - key: capsule.clastix.io/tenant
    operator: Exists
{{- end -}}
