{{- define "line-ai.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 52 | trimSuffix "-" -}}
{{- end -}}

{{- define "line-ai.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "line-ai.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "line-ai.image" -}}
{{ printf "%s:%s" .Values.image.repository (toString .Values.image.tag) }}
{{- end -}}

{{/* Secret variables: references into the operator's Secret, never values. */}}
{{- define "line-ai.secretEnv" -}}
{{- range $name, $key := .Values.secrets.required }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $.Values.secrets.name }}
      key: {{ $key }}
{{- end }}
{{- range $name, $key := .Values.secrets.optional }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $.Values.secrets.name }}
      key: {{ $key }}
      optional: true
{{- end }}
{{- with .Values.temporal.apiKeySecret }}
{{- if .name }}
- name: TEMPORAL_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .key }}
{{- end }}
{{- end }}
{{- if .Values.temporal.clientCertSecret.name }}
- name: TEMPORAL_TLS_CLIENT_CERT_PATH
  value: /etc/temporal-tls/tls.crt
- name: TEMPORAL_TLS_CLIENT_KEY_PATH
  value: /etc/temporal-tls/tls.key
{{- if .Values.temporal.clientCertSecret.withServerCa }}
- name: TEMPORAL_TLS_SERVER_CA_CERT_PATH
  value: /etc/temporal-tls/ca.crt
{{- end }}
{{- end }}
{{- end -}}

{{/* What every app container gets: the ConfigMap, then the secret references. */}}
{{- define "line-ai.appEnv" -}}
envFrom:
  - configMapRef:
      name: {{ include "line-ai.fullname" . }}-config
env:
{{- include "line-ai.secretEnv" . | nindent 2 }}
{{- end -}}

{{- define "line-ai.tlsVolumeMounts" -}}
{{- if .Values.temporal.clientCertSecret.name }}
volumeMounts:
  - name: temporal-tls
    mountPath: /etc/temporal-tls
    readOnly: true
{{- end }}
{{- end -}}

{{- define "line-ai.tlsVolumes" -}}
{{- if .Values.temporal.clientCertSecret.name }}
volumes:
  - name: temporal-tls
    secret:
      secretName: {{ .Values.temporal.clientCertSecret.name }}
{{- end }}
{{- end -}}

{{- define "line-ai.podCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- include "line-ai.tlsVolumes" . }}
{{- end -}}
