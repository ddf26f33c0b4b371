{{- define "aigateway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "aigateway.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "aigateway.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "aigateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "aigateway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "aigateway.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* repository@digest when a digest is pinned (it wins over the tag), else repository:tag. */}}
{{- define "aigateway.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{- define "aigateway.operatorServiceAccount" -}}
{{- default (printf "%s-operator" (include "aigateway.fullname" .)) .Values.operator.serviceAccount.name -}}
{{- end -}}

{{- define "aigateway.gatewayServiceAccount" -}}
{{- default (printf "%s-gateway" (include "aigateway.fullname" .)) .Values.gateway.serviceAccount.name -}}
{{- end -}}

{{/*
A securityContext from values (defaults: the restricted Pod Security Standard). Keys set to null in the
user's values are removed by Helm before this sees them (OpenShift: runAsUser: null, fsGroup: null).
*/}}
{{- define "aigateway.securityContext" -}}
{{- with . }}
{{- toYaml . }}
{{- else -}}
{}
{{- end }}
{{- end -}}
