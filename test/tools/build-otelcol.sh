#!/usr/bin/env bash
# Builds an OpenTelemetry Collector for the tracing suite from the collector's own Go modules:
# the OTLP receiver (gRPC and HTTP, protobuf and JSON) and the file and debug exporters, nothing else.
# Output: $AIGW_CACHE/bin/otelcol-<version>/otelcol (default cache ~/.cache/aigateway). CGO off.
# Idempotent: a binary that is already there is not rebuilt. Nothing is written into the repo.
set -euo pipefail

OTELCOL_VERSION="${OTELCOL_VERSION:-v0.165.0}"

CACHE="${AIGW_CACHE:-$HOME/.cache/aigateway}"
SRC="$CACHE/src/otelcol-$OTELCOL_VERSION"
OUT="$CACHE/bin/otelcol-$OTELCOL_VERSION/otelcol"
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
GO_P="${GO_P:-2}"

command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { echo "build-otelcol.sh: go is required" >&2; exit 1; }
log() { echo "[build-otelcol.sh $(date -u +%H:%M:%S)] $*"; }

if [[ -x "$OUT" ]]; then
  log "otelcol $OTELCOL_VERSION cached at $OUT"
else
  mkdir -p "$SRC" "$(dirname "$OUT")"
  cat >"$SRC/main.go" <<'GO'
// Command otelcol is a minimal OpenTelemetry Collector: OTLP in, file and debug out.
package main

import (
	"log"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/fileexporter"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/debugexporter"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
)

func components() (otelcol.Factories, error) {
	var err error
	f := otelcol.Factories{Telemetry: otelconftelemetry.NewFactory()}
	if f.Receivers, err = otelcol.MakeFactoryMap[receiver.Factory](otlpreceiver.NewFactory()); err != nil {
		return f, err
	}
	if f.Exporters, err = otelcol.MakeFactoryMap[exporter.Factory](fileexporter.NewFactory(), debugexporter.NewFactory()); err != nil {
		return f, err
	}
	return f, nil
}

func main() {
	info := component.BuildInfo{Command: "otelcol", Description: "aigateway test collector", Version: "test"}
	set := otelcol.CollectorSettings{
		BuildInfo: info,
		Factories: components,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory()},
				DefaultScheme:     "file",
			},
		},
	}
	if err := otelcol.NewCommand(set).Execute(); err != nil {
		log.Fatal(err)
	}
}
GO
  # No `go mod tidy`: it would also resolve the test-only imports of every dependency.
  (cd "$SRC" && rm -f go.mod go.sum && go mod init aigw.local/otelcol >/dev/null 2>&1 \
    && go get "go.opentelemetry.io/collector/otelcol@$OTELCOL_VERSION" \
      "go.opentelemetry.io/collector/receiver/otlpreceiver@$OTELCOL_VERSION" \
      "go.opentelemetry.io/collector/exporter/debugexporter@$OTELCOL_VERSION" \
      "github.com/open-telemetry/opentelemetry-collector-contrib/exporter/fileexporter@$OTELCOL_VERSION" \
    && go build -p "$GO_P" -trimpath -ldflags "-s -w" -o "$OUT.tmp" . && mv "$OUT.tmp" "$OUT")
  log "built $OUT"
fi
echo "OTELCOL=$OUT"
