{{- define "hookline.fullname" -}}{{ .Release.Name }}-hookline{{- end -}}

{{- define "hookline.labels" -}}
app.kubernetes.io/name: hookline
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ .root.Chart.Name }}-{{ .root.Chart.Version }}
{{- end -}}

{{- define "hookline.selector" -}}
app.kubernetes.io/name: hookline
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* Consumer group of a service: GROUP_PREFIX.TOPIC_PREFIX<name> (services/common/service.ts). */}}
{{- define "hookline.group" -}}
{{ .root.Values.env.GROUP_PREFIX | default "hookline" }}.{{ .root.Values.env.TOPIC_PREFIX | default "" }}{{ .name }}
{{- end -}}
