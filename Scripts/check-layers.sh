#!/usr/bin/env bash
# Fails when a module imports one above its layer. Allowed imports per module (project modules only;
# system and package-dependency modules are ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A allowed=(
  [CourierCore]=""
  [CourierHPACK]="CourierCore"
  [CourierHTTP1]="CourierCore"
  [CourierHTTP2]="CourierCore CourierHPACK"
  [CourierReactor]="CourierCore CCourierSystem"
  [CourierTLS]="CourierCore COpenSSL CCourierOpenSSLShims"
  [CourierTransport]="CourierCore CourierReactor CourierTLS CourierHTTP1 CourierHTTP2 CourierHPACK"
  [CourierPool]="CourierCore CourierTransport CourierReactor CourierTLS CourierHTTP1 CourierHTTP2"
  [Courier]="CourierCore CourierPool CourierTransport CourierReactor CourierTLS CourierHTTP1 CourierHTTP2 CZlib"
  [CourierResilience]="CourierCore Courier"
  [CourierTestServer]="CourierCore CourierReactor CourierTLS CourierTransport CourierHTTP1 CourierHTTP2 CourierHPACK"
  [CourierCLI]="CourierCore Courier CourierResilience CourierTestServer"
  [CourierOpenAPITransport]="CourierCore Courier"
  [CourierTracing]="CourierCore Courier"
)
project="CourierCore CourierHPACK CourierHTTP1 CourierHTTP2 CourierReactor CourierTLS CourierTransport CourierPool Courier CourierResilience CourierTestServer CourierCLI CourierOpenAPITransport CourierTracing CCourierSystem COpenSSL CCourierOpenSSLShims CZlib"
status=0
for module in "${!allowed[@]}"; do
  [ -d "Sources/$module" ] || continue
  while IFS= read -r line; do
    file=${line%%:*}
    imported=$(sed -E 's/^.*import[[:space:]]+(struct |class |enum |func |protocol |typealias )?([A-Za-z0-9_]+).*/\2/' <<<"${line#*:}")
    case " $project " in *" $imported "*) ;; *) continue ;; esac
    case " ${allowed[$module]} " in
      *" $imported "*) ;;
      *) echo "layer violation: $file imports $imported, which is not below $module"; status=1 ;;
    esac
  done < <(grep -rEH '^[[:space:]]*(@[A-Za-z_]+(\([^)]*\))?[[:space:]]+)*(public |package |internal |private |fileprivate )?import[[:space:]]' "Sources/$module" | sed -E 's/^([^:]+):/\1:/')
done
[ $status -eq 0 ] && echo "layers: ok"
exit $status
