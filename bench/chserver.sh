# Sourced by the benches that time netlens on ClickHouse: start_clickhouse
# DIR [keep] starts Debian's clickhouse-server with its data, temporary
# files and logs under DIR (made afresh, or kept as they are with keep),
# listening on free loopback ports, waits
# until it answers, and sets pid, tcp and http. The caller stops it
# (stop_clickhouse, e.g. in its EXIT trap).

chserver=/usr/sbin/clickhouse-server

# free_port returns a loopback port nothing listens on.
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

start_clickhouse() {
  local dir=$1 keep=${2:-} inter
  [ -x "$chserver" ] || { echo "clickhouse-server not installed (apt-get install clickhouse-server)" >&2; exit 1; }
  tcp=$(free_port) http=$(free_port) inter=$(free_port)
  [ "$keep" = keep ] || rm -rf "$dir"
  mkdir -p "$dir/data" "$dir/tmp" "$dir/log"
  "$chserver" --config-file=/etc/clickhouse-server/config.xml -- \
    --listen_host=127.0.0.1 --tcp_port="$tcp" --http_port="$http" --interserver_http_port="$inter" \
    --path="$PWD/$dir/data/" --tmp_path="$PWD/$dir/tmp/" \
    --logger.log="$PWD/$dir/log/server.log" --logger.errorlog="$PWD/$dir/log/error.log" \
    >"$dir/log/console.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    [ "$(curl -s "http://127.0.0.1:$http/ping" 2>/dev/null)" = "Ok." ] && return
    sleep 0.2
  done
  echo "clickhouse-server did not start:" >&2
  tail "$dir/log/error.log" >&2
  stop_clickhouse
  exit 1
}

stop_clickhouse() {
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}
