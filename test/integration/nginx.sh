# test/integration/nginx.sh — nginx as a real upstream in the upstream
# namespace, for the scripts that source it after lib.sh (91, 94, ...).
#
#   ng_start SERVER_BLOCK...    write $NG/nginx.conf (one master, one worker,
#                               private pid, logs and temp dirs under the
#                               test's work directory) around the given
#                               `server { }` blocks, check it with nginx -t
#                               and start it in $MG_NS_UP; NGINX_PID is the
#                               master's PID
#   ng_server VERSION ADDR PORT [EXTRA]
#                               a server block answering "VERSION\n" on /
#                               with an x-version header; EXTRA goes inside
#   ng_wait NAME ADDR:PORT      wait (5 s at most) until it answers NAME
#   ng_stop                     SIGQUIT, SIGTERM, then SIGKILL for the master
#                               and its own workers (children of our PID)
# shellcheck shell=bash

NGINX=${MG_NGINX:-/usr/sbin/nginx}
NGINX_PID=
NG=$MG_WORKDIR/nginx
NG_ECHO_MOD=/usr/lib/nginx/modules/ngx_http_echo_module.so

ng_server() {
	cat <<EOF
    server {
        listen $2:$3;
        server_name _;
        add_header x-version $1 always;
        root $MG_WORKDIR/www;
${4:-}
        location / {
            return 200 "$1\n";
        }
    }
EOF
}

ng_start() {
	command -v "$NGINX" >/dev/null || mg_fail "no nginx ($NGINX; apt-get install nginx-light)"
	mkdir -p "$NG/tmp/body" "$NG/tmp/proxy" "$NG/tmp/fastcgi" "$NG/tmp/uwsgi" "$NG/tmp/scgi" \
		"$MG_WORKDIR/www"
	# Workers run as root: the work directory is private (mktemp -d, 0700).
	{
		[[ -f "$NG_ECHO_MOD" ]] && echo "load_module $NG_ECHO_MOD;"
		cat <<EOF
daemon off;
master_process on;
user root;
worker_processes 1;
pid $NG/nginx.pid;
error_log $NG/error.log notice;
events { worker_connections 1024; }
http {
    access_log off;
    default_type application/octet-stream;
    sendfile on;
    client_body_temp_path $NG/tmp/body;
    proxy_temp_path $NG/tmp/proxy;
    fastcgi_temp_path $NG/tmp/fastcgi;
    uwsgi_temp_path $NG/tmp/uwsgi;
    scgi_temp_path $NG/tmp/scgi;
EOF
		printf '%s\n' "$@"
		echo "}"
	} >"$NG/nginx.conf"
	mg_upstream "$NGINX" -t -q -p "$NG/" -e "$NG/error.log" -c "$NG/nginx.conf" \
		>"$NG/check.out" 2>&1 || mg_fail "nginx -t: $(cat "$NG/check.out")"
	# `ip netns exec` execs nginx, and with `daemon off` the master stays in
	# the foreground: $! is the master's PID.
	ip netns exec "$MG_NS_UP" "$NGINX" -p "$NG/" -e "$NG/error.log" -c "$NG/nginx.conf" \
		>"$NG/stdout" 2>&1 &
	NGINX_PID=$!
}

ng_wait() {
	local name=$1 hp=$2 i got
	for ((i = 0; i < 50; i++)); do
		mg_upstream curl -s -o /dev/null --max-time 1 "http://$hp/" 2>/dev/null && break
		kill -0 "$NGINX_PID" 2>/dev/null || mg_fail "nginx exited: $(cat "$NG/error.log" "$NG/stdout")"
		sleep 0.1
	done
	got=$(mg_upstream curl -sS --max-time 2 "http://$hp/") || mg_fail "nginx $name at $hp does not answer"
	[[ "$got" == "$name" ]] || mg_fail "nginx $name at $hp answered '$got'"
}

ng_stop() {
	local i sig kids
	[[ -n "$NGINX_PID" ]] || return 0
	for sig in QUIT TERM; do
		kill -s "$sig" "$NGINX_PID" 2>/dev/null || true
		for ((i = 0; i < 30; i++)); do
			kill -0 "$NGINX_PID" 2>/dev/null || break 2
			sleep 0.1
		done
	done
	if kill -0 "$NGINX_PID" 2>/dev/null; then
		kids=$(pgrep -P "$NGINX_PID" | tr '\n' ' ' || true)
		# shellcheck disable=SC2086 # one PID a word
		kill -s KILL "$NGINX_PID" $kids 2>/dev/null || true
	fi
	wait "$NGINX_PID" 2>/dev/null || true
	NGINX_PID=
}
