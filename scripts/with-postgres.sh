#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL server of its own: a fresh cluster in a temporary
# directory, reachable only through a Unix socket there, removed afterwards. The command gets
# PGHOST/PGPORT/PGUSER/PGDATABASE (libpq's defaults, superuser `postgres`) and
# GRADBOOK_TEST_PGCTL, a script taking `stop-now` (kill -9 the server), `start` and `stop`, for
# the tests that take the server away. Unlike pg_virtualenv as root (one cluster named
# "regress" per machine) any number of these can run at once.
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
dir=$(mktemp -d -t gradbook-pg.XXXXXX)
as_server=()
if [[ $(id -u) -eq 0 ]]; then
  chown postgres: "$dir"
  as_server=(runuser -u postgres --)
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as_server[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
cat > "$dir/ctl" <<CTL
#!/usr/bin/env bash
set -euo pipefail
case "\$1" in
  start) ${as_server[*]} "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o "-p $port -k $dir -c listen_addresses=''" start >/dev/null ;;
  stop) ${as_server[*]} "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null ;;
  stop-now)
    # SIGKILL the postmaster, as a crash would, and wait until it and its children are gone
    # (they exit when they see the postmaster die), so that "start" finds no live server.
    pid=\$(head -1 "$dir/data/postmaster.pid")
    children=\$(pgrep -P "\$pid" || true)
    kill -9 "\$pid"
    for process in \$pid \$children; do
      while kill -0 "\$process" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/\$process/status" 2>/dev/null; do sleep 0.05; done
    done
    # Where init does not reap orphans (containers), the dead postmaster stays a zombie whose
    # PID still answers kill -0, and a restart would take it for a live server.
    rm -f "$dir/data/postmaster.pid" "$dir"/.s.PGSQL.*.lock ;;
  *) echo "usage: \$0 start|stop|stop-now" >&2; exit 2 ;;
esac
CTL
chmod 755 "$dir/ctl"
"$dir/ctl" start
cleanup() {
  "${as_server[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
export PGHOST="$dir" PGPORT="$port" PGUSER=postgres PGDATABASE=postgres GRADBOOK_TEST_PGCTL="$dir/ctl"
unset PGPASSWORD PGSERVICE
"$@"
