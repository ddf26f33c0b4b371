{{- /*
Contradictions between values that values.schema.json cannot express (it checks one key at a time):
refused at `helm install` / `helm upgrade` / `helm template` with one line that names the keys and
the fix. Included once, from gateway.yaml.
*/ -}}
{{- define "aigateway.validate" -}}
{{- $op := .Values.operator -}}
{{- $gw := .Values.gateway -}}
{{- if and (gt (int $op.replicas) 1) (not $op.leaderElection.enabled) -}}
{{- fail (printf "operator.replicas is %d but operator.leaderElection.enabled is false: every replica would reconcile and write the same objects at once. Turn leader election on, or set operator.replicas to 1" (int $op.replicas)) -}}
{{- end -}}
{{- if and $gw.autoscaling.enabled (gt (int $gw.autoscaling.minReplicas) (int $gw.autoscaling.maxReplicas)) -}}
{{- fail (printf "gateway.autoscaling.minReplicas (%d) is above gateway.autoscaling.maxReplicas (%d): the HorizontalPodAutoscaler would be rejected. Raise maxReplicas or lower minReplicas" (int $gw.autoscaling.minReplicas) (int $gw.autoscaling.maxReplicas)) -}}
{{- end -}}
{{- if eq (int $gw.port) (int $gw.adminPort) -}}
{{- fail (printf "gateway.port and gateway.adminPort are both %d: the OpenAI API and /healthz, /readyz, /metrics need two ports" (int $gw.port)) -}}
{{- end -}}
{{- if ge (int $gw.preStopSleepSeconds) (int $gw.terminationGracePeriodSeconds) -}}
{{- fail (printf "gateway.preStopSleepSeconds (%d) is not below gateway.terminationGracePeriodSeconds (%d): the grace period includes the preStop sleep, so in-flight requests would get no time to drain. Raise terminationGracePeriodSeconds" (int $gw.preStopSleepSeconds) (int $gw.terminationGracePeriodSeconds)) -}}
{{- end -}}
{{- if and $gw.serviceMonitor.enabled $gw.podMonitor.enabled -}}
{{- fail "gateway.serviceMonitor.enabled and gateway.podMonitor.enabled are both true: Prometheus would scrape every pod twice and double every rate. Turn one of them off" -}}
{{- end -}}
{{- if eq (int $op.healthPort) (int $op.metricsPort) -}}
{{- fail (printf "operator.healthPort and operator.metricsPort are both %d: the probes and /metrics need two ports. Change one of them" (int $op.healthPort)) -}}
{{- end -}}
{{- $redis := .Values.limits.redis -}}
{{- if regexMatch "^rediss?://[^/@]*:[^/@]*@" $redis.url -}}
{{- fail "limits.redis.url carries a password, which would show in the pod spec: put it in a Secret and name that in limits.redis.passwordSecret" -}}
{{- end -}}
{{- if and $redis.url $redis.deploy.enabled -}}
{{- fail "limits.redis.url and limits.redis.deploy.enabled are both set: the gateway would count in one store and ignore the other. Give the URL of your own Redis, or deploy the chart's, not both" -}}
{{- end -}}
{{- if and $redis.tls.caSecret.name (not (hasPrefix "rediss://" (include "aigateway.redis.url" .))) -}}
{{- fail "limits.redis.tls.caSecret is set but the store is not reached over TLS: use a rediss:// URL in limits.redis.url (the chart's own Redis speaks plain TCP inside the cluster)" -}}
{{- end -}}
{{- end -}}
