{{- /*
The shared store of rate limits and budgets (limits.redis): the URL the gateway counts in and the
operator reads use from, its password and CA as files from Secrets, and the NetworkPolicy egress to it.
Everything here renders nothing when no store is configured (each gateway replica then counts alone).
*/ -}}

{{- define "aigateway.redis.enabled" -}}
{{- if or .Values.limits.redis.url .Values.limits.redis.deploy.enabled }}true{{ end -}}
{{- end -}}

{{- define "aigateway.redis.url" -}}
{{- if .Values.limits.redis.deploy.enabled -}}
redis://{{ include "aigateway.fullname" . }}-redis:{{ .Values.limits.redis.port }}
{{- else -}}
{{ .Values.limits.redis.url }}
{{- end -}}
{{- end -}}

{{/* Env entries for the gateway and the operator containers (indent with nindent 12). */}}
{{- define "aigateway.redis.env" -}}
{{- if include "aigateway.redis.enabled" . }}
- { name: AIGW_REDIS_URL, value: {{ include "aigateway.redis.url" . | quote }} }
{{- if .Values.limits.redis.passwordSecret.name }}
- { name: AIGW_REDIS_PASSWORD_FILE, value: /etc/aigateway/redis-password/password }
{{- end }}
{{- if .Values.limits.redis.tls.caSecret.name }}
- { name: AIGW_REDIS_CA_FILE, value: /etc/aigateway/redis-ca/ca.crt }
{{- end }}
{{- end }}
{{- end -}}

{{- define "aigateway.redis.volumeMounts" -}}
{{- if include "aigateway.redis.enabled" . }}
{{- if .Values.limits.redis.passwordSecret.name }}
- { name: redis-password, mountPath: /etc/aigateway/redis-password, readOnly: true }
{{- end }}
{{- if .Values.limits.redis.tls.caSecret.name }}
- { name: redis-ca, mountPath: /etc/aigateway/redis-ca, readOnly: true }
{{- end }}
{{- end }}
{{- end -}}

{{- define "aigateway.redis.volumes" -}}
{{- if include "aigateway.redis.enabled" . }}
{{- with .Values.limits.redis.passwordSecret }}
{{- if .name }}
- name: redis-password
  secret:
    secretName: {{ .name }}
    items: [{ key: {{ .key | quote }}, path: password }]
{{- end }}
{{- end }}
{{- with .Values.limits.redis.tls.caSecret }}
{{- if .name }}
- name: redis-ca
  secret:
    secretName: {{ .name }}
    items: [{ key: {{ .key | quote }}, path: ca.crt }]
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The gateway NetworkPolicy's egress rule to the store (indent with nindent 4). */}}
{{- define "aigateway.redis.egress" -}}
{{- $r := .Values.limits.redis -}}
{{- if include "aigateway.redis.enabled" . }}
# The shared store of rate limits and budgets.
- ports:
    - { port: {{ $r.port }}, protocol: TCP }
  to:
  {{- if $r.deploy.enabled }}
    - podSelector:
        matchLabels:
          {{- include "aigateway.selectorLabels" (dict "root" . "component" "redis") | nindent 10 }}
  {{- else if $r.egressCIDRs }}
  {{- range $r.egressCIDRs }}
    - ipBlock: { cidr: {{ . }} }
  {{- end }}
  {{- else }}
    - ipBlock: { cidr: 0.0.0.0/0 }
    - ipBlock: { cidr: "::/0" }
  {{- end }}
{{- end }}
{{- end -}}
