{{/* Names and labels. */}}
{{- define "crp-adapter.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "crp-adapter.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "crp-adapter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "crp-adapter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "crp-adapter.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "crp-adapter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: crp-adapter
{{- end -}}

{{- define "crp-adapter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "crp-adapter.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "crp-adapter.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* Where Secrets are mounted in the pod (never under /etc/crp-adapter, a ConfigMap). */}}
{{- define "crp-adapter.secretsDir" -}}/var/run/secrets/crp-adapter{{- end -}}


{{/*
The librdkafka properties: bootstrap servers, security settings, then kafka.properties.
Secret values are {"file": PATH} references that the service reads at start-up.
*/}}
{{- define "crp-adapter.kafkaProperties" -}}
{{- $k := .Values.kafka -}}
{{- $dir := printf "%s/kafka" (include "crp-adapter.secretsDir" .) -}}
{{- $p := dict "bootstrap.servers" $k.bootstrapServers "security.protocol" $k.securityProtocol -}}
{{- if hasPrefix "SASL_" $k.securityProtocol -}}
{{- $_ := set $p "sasl.mechanism" $k.sasl.mechanism -}}
{{- $_ := set $p "sasl.username" $k.sasl.username -}}
{{- $_ := set $p "sasl.password" (dict "file" (printf "%s/sasl/%s" $dir $k.sasl.passwordSecret.key)) -}}
{{- end -}}
{{- if hasSuffix "SSL" $k.securityProtocol -}}
{{- if $k.tls.caSecret.name -}}
{{- $_ := set $p "ssl.ca.location" (printf "%s/ca/%s" $dir $k.tls.caSecret.key) -}}
{{- end -}}
{{- if $k.tls.clientCertSecret.name -}}
{{- $_ := set $p "ssl.certificate.location" (printf "%s/client/%s" $dir $k.tls.clientCertSecret.certKey) -}}
{{- $_ := set $p "ssl.key.location" (printf "%s/client/%s" $dir $k.tls.clientCertSecret.keyKey) -}}
{{- end -}}
{{- end -}}
{{- range $name, $value := $k.properties -}}
{{- if hasKey $p $name -}}
{{- fail (printf "kafka.properties.%s: set by the chart from kafka.* values; set it there" $name) -}}
{{- end -}}
{{- $_ := set $p $name (toString $value) -}}
{{- end -}}
{{- toJson $p -}}
{{- end -}}

{{/*
Every file under /etc/crp-adapter, as a map from relative path to content (YAML, read
back with fromYaml). The shipped files come from files/config, a link to the repository's
config/ (docs/decisions/0016), so the chart never holds a second copy of them.
*/}}
{{- define "crp-adapter.configFiles" -}}
{{- $files := dict -}}
{{- $shippedText := .Files.Get "files/config/crp-adapter.json" -}}
{{- if not $shippedText -}}
{{- fail "files/config/crp-adapter.json is missing from the chart: files/config must link to the repository's config/ (see docs/decisions/0016)" -}}
{{- end -}}
{{- $cfg := fromJson $shippedText -}}
{{- range $key, $value := .Values.config -}}
{{- $_ := set $cfg $key $value -}}
{{- end -}}
{{- /* Calendar. */ -}}
{{- $_ := set $cfg "calendar" (dict "file" "calendars/bank-holidays.json") -}}
{{- if .Values.calendar.custom -}}
{{- $_ := set $files "calendars/bank-holidays.json" (toPrettyJson .Values.calendar.custom) -}}
{{- else -}}
{{- $_ := set $files "calendars/bank-holidays.json" (.Files.Get "files/config/calendars/bank-holidays.json") -}}
{{- end -}}
{{- /* Protocols: shipped ones verbatim, then custom ones. */ -}}
{{- $protocols := list -}}
{{- range $id := .Values.protocols.shipped -}}
{{- $text := $.Files.Get (printf "files/config/protocols/%s.json" $id) -}}
{{- if not $text -}}
{{- fail (printf "protocols.shipped: no shipped protocol %q (config/protocols/%s.json)" $id $id) -}}
{{- end -}}
{{- $path := printf "protocols/%s.json" $id -}}
{{- $_ := set $files $path $text -}}
{{- $protocols = append $protocols $path -}}
{{- end -}}
{{- range $id, $protocol := .Values.protocols.custom -}}
{{- $path := printf "protocols/%s.json" $id -}}
{{- if hasKey $files $path -}}
{{- fail (printf "protocols.custom.%s: a shipped protocol of that id is already enabled" $id) -}}
{{- end -}}
{{- $_ := set $files $path (toPrettyJson $protocol) -}}
{{- $protocols = append $protocols $path -}}
{{- end -}}
{{- $_ := set $cfg "protocols" $protocols -}}
{{- /* Shipped role directory files, if the repository has them. */ -}}
{{- range $path, $_ := .Files.Glob "files/config/directory/**.json" -}}
{{- $_ := set $files (trimPrefix "files/config/" $path) ($.Files.Get $path) -}}
{{- end -}}
{{- /* The shipped agency code table, if the repository has one (`agencies.file`). */ -}}
{{- with .Files.Get "files/config/agencies.json" -}}
{{- $_ := set $files "agencies.json" . -}}
{{- end -}}
{{- /* Shipped Debezium mappings (the shipped inputs' `mapping` files). */ -}}
{{- range $path, $_ := .Files.Glob "files/config/connectors/**.json" -}}
{{- $_ := set $files (trimPrefix "files/config/" $path) ($.Files.Get $path) -}}
{{- end -}}
{{- /* Partners: one file each; a signing key is a mounted file (secretsDir/partners/<id>/<n>,
1 = newest), or the variable its `env` names. */ -}}
{{- $webhooks := dict -}}
{{- if hasKey $cfg "webhooks" -}}
{{- $webhooks = omit $cfg.webhooks "partners" -}}
{{- end -}}
{{- range $id, $partner := .Values.partners -}}
{{- $secrets := list -}}
{{- range $i, $s := $partner.signingSecrets -}}
{{- if $s.env -}}
{{- $secrets = append $secrets (dict "env" $s.env) -}}
{{- else -}}
{{- $secrets = append $secrets (dict "file" (printf "%s/partners/%s/%d" (include "crp-adapter.secretsDir" $) $id (add1 $i))) -}}
{{- end -}}
{{- end -}}
{{- $file := merge (dict "id" $id "secrets" $secrets) (omit $partner "signingSecrets") -}}
{{- $_ := set $files (printf "partners/%s.json" $id) (toPrettyJson $file) -}}
{{- end -}}
{{- if .Values.partners -}}
{{- $_ := set $webhooks "partners" "partners" -}}
{{- end -}}
{{- if $webhooks -}}
{{- $_ := set $cfg "webhooks" $webhooks -}}
{{- else -}}
{{- $_ := unset $cfg "webhooks" -}}
{{- end -}}
{{- /* Kafka and admin. */ -}}
{{- $_ := set $cfg "kafka" (include "crp-adapter.kafkaProperties" . | fromJson) -}}
{{- $admin := dict "bind" (printf "0.0.0.0:%d" (int .Values.admin.port)) "max_request_bytes" (int .Values.admin.maxRequestBytes) "rate_limit_per_s" (int .Values.admin.rateLimitPerSecond) -}}
{{- if .Values.admin.tokenSecret.name -}}
{{- $_ := set $admin "token_file" (printf "%s/admin/%s" (include "crp-adapter.secretsDir" .) .Values.admin.tokenSecret.key) -}}
{{- end -}}
{{- $_ := set $cfg "admin" $admin -}}
{{- /* GOV.UK Notify: the API key and callback token are mounted files (secretsDir/notify/...). */ -}}
{{- $n := .Values.notify -}}
{{- if $n.enabled -}}
{{- $dir := printf "%s/notify" (include "crp-adapter.secretsDir" .) -}}
{{- $notify := dict "base_url" $n.baseUrl "rate_limit_per_minute" (int $n.rateLimitPerMinute) "api_key" (dict "file" (printf "%s/api-key/%s" $dir $n.apiKeySecret.key)) -}}
{{- with $n.serviceId -}}{{- $_ := set $notify "service_id" . -}}{{- end -}}
{{- if $n.callbackTokenSecret.name -}}
{{- $_ := set $notify "callback_token" (dict "file" (printf "%s/callback/%s" $dir $n.callbackTokenSecret.key)) -}}
{{- end -}}
{{- with $n.fallbackEmail -}}{{- $_ := set $notify "fallback_email" . -}}{{- end -}}
{{- $_ := set $cfg "notify" $notify -}}
{{- end -}}
{{- /* Further files, last, so that they cannot silently replace the ones above. */ -}}
{{- range $path, $content := .Values.extraFiles -}}
{{- if or (hasKey $files $path) (eq $path "crp-adapter.json") -}}
{{- fail (printf "extraFiles: %q is written by the chart" $path) -}}
{{- end -}}
{{- $_ := set $files $path (ternary $content (toPrettyJson $content) (kindIs "string" $content)) -}}
{{- end -}}
{{- $_ := set $files "crp-adapter.json" (toPrettyJson $cfg) -}}
{{- toYaml $files -}}
{{- end -}}

{{/* A ConfigMap key for a relative path (keys cannot hold "/"). */}}
{{- define "crp-adapter.configKey" -}}
{{- . | replace "/" "__" -}}
{{- end -}}

{{/* The ports of kafka.bootstrapServers ("host:port,host:port"), unique. */}}
{{- define "crp-adapter.kafkaPorts" -}}
{{- $ports := list -}}
{{- range $server := splitList "," .Values.kafka.bootstrapServers -}}
{{- $port := regexFind "[0-9]+$" (trim $server) -}}
{{- if not $port -}}
{{- fail (printf "kafka.bootstrapServers: %q has no port" (trim $server)) -}}
{{- end -}}
{{- $ports = append $ports (int $port) -}}
{{- end -}}
{{- toJson (uniq $ports) -}}
{{- end -}}

{{/* The ports of the partners' URLs (443 for https, 80 for http unless given), unique. */}}
{{- define "crp-adapter.partnerPorts" -}}
{{- $ports := list -}}
{{- range $id, $p := .Values.partners -}}
{{- $hostPort := regexReplaceAll "^https?://([^/?#]*).*$" $p.url "${1}" -}}
{{- $port := regexFind ":[0-9]+$" $hostPort | trimPrefix ":" -}}
{{- if $port -}}
{{- $ports = append $ports (int $port) -}}
{{- else if hasPrefix "https:" $p.url -}}
{{- $ports = append $ports 443 -}}
{{- else -}}
{{- $ports = append $ports 80 -}}
{{- end -}}
{{- end -}}
{{- toJson (uniq $ports) -}}
{{- end -}}
