{{/*
Chart name, overridable.
*/}}
{{- define "koredump.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Prefix of every namespaced name: the release name (plus the chart name when the release name does
not contain it), at most 63 characters.
*/}}
{{- define "koredump.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Prefix of every cluster-scoped name. Namespaced names only need to be unique in the release
namespace; cluster-scoped ones must differ between two releases of the same name in two
namespaces, so the namespace is part of them unless it already is the fullname.
*/}}
{{- define "koredump.clusterPrefix" -}}
{{- if .Values.rbac.clusterNamePrefix -}}
{{- .Values.rbac.clusterNamePrefix -}}
{{- else -}}
{{- $full := include "koredump.fullname" . -}}
{{- if eq $full .Release.Namespace -}}
{{- $full -}}
{{- else -}}
{{- printf "%s-%s" $full .Release.Namespace -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "koredump.collector.fullname" -}}
{{- printf "%s-node-collector" (include "koredump.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "koredump.aggregator.fullname" -}}
{{- printf "%s-aggregator" (include "koredump.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "koredump.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Labels of every object.
*/}}
{{- define "koredump.labels" -}}
helm.sh/chart: {{ include "koredump.chart" . }}
app.kubernetes.io/name: {{ include "koredump.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: koredump
{{- end -}}

{{/*
Labels of an object of one component (node-collector or aggregator): the labels of every object
plus app.kubernetes.io/component. Takes (dict "root" . "component" "<component>").
*/}}
{{- define "koredump.componentLabels" -}}
{{ include "koredump.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/*
Pod template metadata of one component: its labels plus podLabels, and podAnnotations, where the
component's own (collector.podLabels, aggregator.podAnnotations, ...) win over the chart-wide ones.
Takes (dict "root" . "component" "<component>" "values" .Values.<collector|aggregator>).
*/}}
{{- define "koredump.podMetadata" -}}
labels:
  {{- include "koredump.componentLabels" . | nindent 2 }}
  {{- with merge (deepCopy .values.podLabels) .root.Values.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- with merge (deepCopy .values.podAnnotations) .root.Values.podAnnotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
Selector labels of one component (node-collector or aggregator). The two sets differ in
app.kubernetes.io/component, so the DaemonSet, the Deployment and the Service never select each
other's pods.
*/}}
{{- define "koredump.selectorLabels" -}}
app.kubernetes.io/name: {{ include "koredump.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/*
The aggregator's KOREDUMP_COLLECTOR_SELECTOR: the collector pods of this release only.
*/}}
{{- define "koredump.collectorSelector" -}}
{{- printf "app.kubernetes.io/name=%s,app.kubernetes.io/instance=%s,app.kubernetes.io/component=node-collector" (include "koredump.name" .) .Release.Name -}}
{{- end -}}

{{- define "koredump.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "koredump.collector.serviceAccountName" -}}
{{- default (include "koredump.collector.fullname" .) .Values.serviceAccount.nodeCollector.name -}}
{{- end -}}

{{- define "koredump.aggregator.serviceAccountName" -}}
{{- default (include "koredump.aggregator.fullname" .) .Values.serviceAccount.aggregator.name -}}
{{- end -}}

{{/*
SELinux options of the host-facing containers (collector, koredumpctl installer).
*/}}
{{- define "koredump.collector.seLinuxOptions" -}}
{{- if .Values.collector.seLinuxOptions -}}
{{- toYaml .Values.collector.seLinuxOptions -}}
{{- else if .Values.openshift.enabled -}}
type: {{ .Values.openshift.seLinuxType }}
{{- end -}}
{{- end -}}

{{/*
Environment shared by both apps.
*/}}
{{- define "koredump.commonEnv" -}}
- name: KOREDUMP_AUTH_MODE
  value: {{ .Values.auth.mode | quote }}
{{- if .Values.auth.tokenAudiences }}
- name: KOREDUMP_TOKEN_AUDIENCES
  value: {{ join "," .Values.auth.tokenAudiences | quote }}
{{- end }}
- name: KOREDUMP_AUTH_CACHE_TTL_S
  value: {{ .Values.auth.cacheTtlSeconds | quote }}
- name: KOREDUMP_LOG_FORMAT
  value: {{ .Values.logFormat | quote }}
- name: KOREDUMP_METRICS
  value: {{ ternary "1" "0" .Values.metrics.enabled | quote }}
- name: KOREDUMP_WATCH_HEARTBEAT_S
  value: {{ .Values.watch.heartbeatSeconds | quote }}
- name: KOREDUMP_WATCH_MAX_CLIENTS
  value: {{ .Values.watch.maxClients | quote }}
{{- end -}}

{{/*
The image's layout (see the Dockerfile): the app under /opt/koredump, the collector's node and
journalctl copies with the file capability cap_dac_read_search=ep under /usr/libexec/koredump.
*/}}
{{- define "koredump.appDir" -}}/opt/koredump{{- end -}}
