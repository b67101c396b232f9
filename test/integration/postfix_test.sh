#!/usr/bin/env bash
# rules/library/postfix/mail_log.yaml against a real Postfix (Debian's
# postfix 3.7) run as an instance of its own in a temp dir: its own
# config_directory, queue_directory, data_directory, and maillog_file (the
# log postlogd writes), smtpd on a free port of 127.0.0.1, local delivery
# to a mailbox file, a relay domain delivered over SMTP (STARTTLS) to a
# python3 sink on another port, and a relay domain whose next hop refuses
# connections.
# python3's smtplib sends an exactly counted load (messages delivered
# locally, relayed, deferred; recipients, HELO names, clients and senders
# rejected; STARTTLS sessions; clients that drop the connection). The
# adapter follows the log; its values must be exactly that load, and equal
# those of the reference exporter (prometheus-postfix-exporter) following
# the same log where it counts the same thing. The log is then read by
# `once` again, reframed as a syslog daemon writes it (traditional and
# RFC 3339 stamps): the same values.
# Runs as root (Postfix's master and its set-permissions need it).
# Usage: test/integration/postfix_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/deps.sh" --require postfix postlog prometheus-postfix-exporter python3 curl openssl \
  setsid groupadd useradd || exit 1
export PATH="$PATH:/usr/sbin:/sbin"
[ "$(id -u)" = 0 ] || { echo "FAIL: postfix_test.sh runs Postfix's master and must run as root"; exit 1; }

tmp=$(mktemp -d)
# local(8) delivers as "nobody" (default_privs) into a mailbox under here,
# in a directory where it can create the mailbox's .lock file.
chmod 755 "$tmp"
mkdir -m 1777 "$tmp/mail"
# shellcheck disable=SC2034  # read by name in stop_pid: ${!1}
sink_pid='' postfix_pid='' exporter_pid=''
# shellcheck source=test/integration/lib.sh
. "$root/test/integration/lib.sh"
# Postfix's master runs in a session of its own: stop it by its pid file,
# then whatever is left of its process group.
stop_postfix() {
  [ -n "$postfix_pid" ] || return 0
  local master
  master=$(tr -dc 0-9 <"$tmp/queue/pid/master.pid" 2>/dev/null || true)
  timeout 30 postfix -c "$conf" stop >/dev/null 2>&1 || true
  [ -z "$master" ] || kill -KILL -- "-$master" 2>/dev/null || true
  stop_pid postfix_pid
}
trap 'stop_adapter; stop_pid exporter_pid; stop_postfix; stop_pid sink_pid; rm -rf "$tmp"' EXIT

# --- What the instance needs that Postfix's package scripts would create ------

getent group postfix >/dev/null || groupadd --system postfix
getent group postdrop >/dev/null || groupadd --system postdrop
getent passwd postfix >/dev/null ||
  useradd --system --gid postfix --home-dir /var/spool/postfix --no-create-home \
    --shell /usr/sbin/nologin postfix

# --- The relay's next hop: an SMTP sink ---------------------------------------

pick_ports 4
smtpd_port=${ports[0]} sink_port=${ports[1]} exporter_port=${ports[2]} dead_port=${ports[3]}
conf=$tmp/conf
mkdir "$conf"
# One certificate for smtpd and the sink (neither side verifies it).
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mx.example.test \
  -keyout "$conf/key.pem" -out "$conf/cert.pem" >/dev/null 2>&1 || fail "openssl could not make a certificate"
# Accepts every message, offers STARTTLS; appends one line per message to
# received.txt and one per TLS session to tls.txt.
cat >"$tmp/sink.py" <<'PY'
import socketserver, ssl, sys
port, out, tls_out, cert, key = sys.argv[1:]
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
def append(path, line):
    with open(path, "a") as f:
        f.write(line + "\n")
class Session(socketserver.BaseRequestHandler):
    def reply(self, text):
        self.conn.sendall(text.encode() + b"\r\n")
    def handle(self):
        self.conn = self.request
        lines = self.conn.makefile("rb")
        self.reply("220 sink.test ESMTP")
        while True:
            line = lines.readline()
            if not line:
                return
            verb = line.split(b" ")[0].strip().upper()
            if verb == b"EHLO":
                self.reply("250-sink.test")
                self.reply("250-STARTTLS")
                self.reply("250 8BITMIME")
            elif verb == b"STARTTLS":
                self.reply("220 2.0.0 ready")
                self.conn = context.wrap_socket(self.conn, server_side=True)
                lines = self.conn.makefile("rb")
                append(tls_out, "tls")
            elif verb == b"DATA":
                self.reply("354 go ahead")
                while lines.readline() not in (b".\r\n", b".\n", b""):
                    pass
                append(out, "message")
                self.reply("250 2.0.0 queued")
            elif verb == b"QUIT":
                self.reply("221 2.0.0 bye")
                return
            else:
                self.reply("250 2.0.0 ok")
class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
Server(("127.0.0.1", int(port)), Session).serve_forever()
PY
: >"$tmp/received.txt"
: >"$tmp/tls.txt"
setsid python3 "$tmp/sink.py" "$sink_port" "$tmp/received.txt" "$tmp/tls.txt" "$conf/cert.pem" "$conf/key.pem" \
  >"$tmp/sink.log" 2>&1 &
sink_pid=$!
for _ in $(seq 100); do
  port_listening "$sink_port" && break
  kill -0 "$sink_pid" 2>/dev/null || { cat "$tmp/sink.log"; fail "the SMTP sink exited at start"; }
  sleep 0.1
done
port_listening "$sink_port" || fail "the SMTP sink does not listen after 10 s"

# --- The Postfix instance ------------------------------------------------------

mkdir "$tmp/queue" "$tmp/data"
# The instance's meta_directory is its own config directory: nothing of
# /etc/postfix is read (the package's scripts fill it, and may not have
# run). Its postfix-files lists only the queue and data directories, which
# `postfix set-permissions` creates and `postfix check` verifies; there are
# no dynamically loaded map types (only the built-in inline: maps are used).
grep -E '^[$](queue|data)_directory[:/]' /etc/postfix/postfix-files >"$conf/postfix-files" ||
  fail "no queue directories in /etc/postfix/postfix-files"
mkdir "$conf/postfix-files.d" "$conf/dynamicmaps.cf.d"
: >"$conf/dynamicmaps.cf"
: >"$tmp/mail/box"
chmod 666 "$tmp/mail/box"
# smtpd_delay_reject = no: each restriction rejects at its own stage
# (CONNECT, EHLO, MAIL, RCPT), as the log then says.
cat >"$conf/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $tmp/queue
data_directory = $tmp/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
meta_directory = $conf
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.example.test
mydomain = example.test
myorigin = example.test
mydestination = dest.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
maillog_file = $tmp/mail.log
maillog_file_prefixes = $tmp
alias_maps = inline:{box=$tmp/mail/box}
alias_database =
local_recipient_maps = inline:{box=box}
relay_domains = relay.test dead.test
transport_maps = inline:{relay.test=smtp:[127.0.0.1]:$sink_port, dead.test=smtp:[127.0.0.1]:$dead_port}
smtp_tls_security_level = may
smtp_tls_loglevel = 1
smtpd_tls_security_level = may
smtpd_tls_cert_file = $conf/cert.pem
smtpd_tls_key_file = $conf/key.pem
smtpd_tls_loglevel = 1
smtpd_delay_reject = no
smtpd_helo_required = yes
smtpd_client_restrictions = check_client_access inline:{127.0.0.2=REJECT}
smtpd_helo_restrictions = reject_invalid_helo_hostname
smtpd_sender_restrictions = check_sender_access inline:{spam@bad.test=REJECT}
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
CF
cat >"$conf/master.cf" <<CF
127.0.0.1:$smtpd_port inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
local     unix  - n n - - local
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
CF
postfix -c "$conf" set-permissions >"$tmp/postfix.out" 2>&1 || { cat "$tmp/postfix.out"; fail "postfix set-permissions failed"; }
postfix -c "$conf" check >>"$tmp/postfix.out" 2>&1 || { cat "$tmp/postfix.out"; fail "postfix check failed"; }
setsid postfix -c "$conf" start-fg >>"$tmp/postfix.out" 2>&1 &
postfix_pid=$!
for _ in $(seq 100); do
  port_listening "$smtpd_port" && [ -s "$tmp/mail.log" ] && break
  kill -0 "$postfix_pid" 2>/dev/null || { cat "$tmp/postfix.out" "$tmp/mail.log"; fail "postfix exited at start"; }
  sleep 0.1
done
port_listening "$smtpd_port" || { cat "$tmp/postfix.out" "$tmp/mail.log"; fail "smtpd does not listen after 10 s"; }

# --- The adapter and the reference exporter, both following the log ------------

cat >"$tmp/adapter.yaml" <<YAML
sources:
  - name: postfix
    type: file
    paths: [$tmp/mail.log]
    from_beginning: true
    rules: [$root/rules/library/postfix/mail_log.yaml]
YAML
start_checked_adapter run
# The exporter reads the log from its end; no showq socket (a path that
# does not exist).
setsid prometheus-postfix-exporter --web.listen-address="127.0.0.1:$exporter_port" \
  --postfix.logfile_path="$tmp/mail.log" --postfix.showq_path="$tmp/no-showq" >"$tmp/exporter.log" 2>&1 &
exporter_pid=$!
# A line of our own through postlogd: once the exporter counts it, it
# reads the log and will see all of the load.
marked=
for _ in $(seq 100); do
  kill -0 "$exporter_pid" 2>/dev/null || { cat "$tmp/exporter.log"; fail "postfix-exporter exited at start"; }
  if curl -sf --max-time 5 "http://127.0.0.1:$exporter_port/metrics" >"$tmp/exporter.prom" 2>/dev/null; then
    if grep -q '^postfix_unsupported_log_entries_total{service="marker"} [1-9]' "$tmp/exporter.prom"; then
      marked=yes
      break
    fi
    postlog -c "$conf" -t postfix/marker "the exporter reads the log" || fail "postlog failed"
  fi
  sleep 0.1
done
[ -n "$marked" ] || { cat "$tmp/exporter.log"; fail "postfix-exporter does not read $tmp/mail.log after 10 s"; }

# --- The load ------------------------------------------------------------------

local_msgs=5 tls_msgs=2 relayed=4 deferred=1 unknown_rcpts=3 bad_helos=2 bad_clients=2 bad_senders=2
cat >"$tmp/load.py" <<'PY'
import smtplib, socket, sys, time
port = int(sys.argv[1])
local_msgs, tls_msgs, relayed, deferred, unknown_rcpts, bad_helos, bad_clients, bad_senders = map(int, sys.argv[2:])
body = "Subject: test\r\nMessage-ID: <%d@client.example>\r\n\r\nhello\r\n"
n = 0
def session(source="127.0.0.1", helo="client.example"):
    return smtplib.SMTP("127.0.0.1", port, timeout=30, local_hostname=helo, source_address=(source, 0))
def expect(what, got, want):
    if got != want:
        sys.exit("%s: got %r, want %r" % (what, got, want))
def send(rcpt, tls=False):
    global n
    n += 1
    s = session()
    if tls:
        s.starttls()
    expect("send to " + rcpt, s.sendmail("sender@client.example", [rcpt], body % n), {})
    s.quit()
for i in range(local_msgs):
    send("box@dest.test", tls=i < tls_msgs)
for i in range(relayed):
    send("user%d@relay.test" % i)
for i in range(deferred):
    send("user%d@dead.test" % i)
for i in range(unknown_rcpts):
    s = session()
    s.ehlo()
    s.mail("sender@client.example")
    expect("unknown recipient", s.rcpt("nobody%d@dest.test" % i)[0], 550)
    s.quit()
for i in range(bad_helos):
    s = session(helo="bad..helo%d" % i)
    expect("bad HELO", s.ehlo()[0], 501)
    s.quit()
# A rejected client gets 554 as its greeting (smtplib gives up there) and
# says QUIT.
for i in range(bad_clients):
    s = socket.create_connection(("127.0.0.1", port), timeout=30, source_address=("127.0.0.2", 0))
    f = s.makefile("rb")
    expect("rejected client's greeting", f.readline()[:3], b"554")
    s.sendall(b"QUIT\r\n")
    expect("rejected client's QUIT", f.readline()[:3], b"221")
    s.close()
for i in range(bad_senders):
    s = session()
    s.ehlo()
    expect("rejected sender", s.mail("spam@bad.test")[0], 554)
    s.quit()
# Two clients that go away without QUIT: after the greeting, after EHLO.
s = socket.create_connection(("127.0.0.1", port), timeout=30)
s.recv(512)
s.close()
s = session()
s.ehlo()
s.sock.close()
PY
python3 "$tmp/load.py" "$smtpd_port" "$local_msgs" "$tls_msgs" "$relayed" "$deferred" "$unknown_rcpts" \
  "$bad_helos" "$bad_clients" "$bad_senders" || fail "the SMTP load failed"
accepted=$((local_msgs + relayed + deferred))
connections=$((accepted + unknown_rcpts + bad_helos + bad_clients + bad_senders + 2))

# Postfix is done when every message but the deferred ones left the queue
# and the last client's disconnect is logged.
done_delivering() {
  [ "$(grep -c ' postfix/qmgr\[[0-9]*\]: [0-9A-F]*: removed$' "$tmp/mail.log" || true)" = $((accepted - deferred)) ] &&
    [ "$(grep -c ' postfix/smtpd\[[0-9]*\]: disconnect from ' "$tmp/mail.log" || true)" = "$connections" ] &&
    [ "$(grep -c ', status=deferred ' "$tmp/mail.log" || true)" = "$deferred" ]
}
for _ in $(seq 300); do done_delivering && break; sleep 0.1; done
done_delivering || { tail -30 "$tmp/mail.log"; fail "postfix did not finish the load in 30 s"; }
[ "$(grep -c '^From ' "$tmp/mail/box" || true)" = "$local_msgs" ] ||
  fail "the mailbox holds $(grep -c '^From ' "$tmp/mail/box" || true) messages, $local_msgs sent"
[ "$(wc -l <"$tmp/received.txt")" = "$relayed" ] ||
  fail "the relay's next hop received $(wc -l <"$tmp/received.txt") messages, $relayed relayed"
# Postfix's SMTP client may deliver several messages over one connection
# (conn_use= in the log): the sink counts its TLS sessions.
tls_out=$(wc -l <"$tmp/tls.txt")
[ "$tls_out" -ge 1 ] || fail "the SMTP client made no TLS session with the relay's next hop"

# The adapter has read the whole log when it counted its last line.
lines=$(wc -l <"$tmp/mail.log")
wait_for_value '^metrics_adapter_lines_read_total\{source="postfix"\}' "$lines"
curl -sf --max-time 5 "$url/metrics" >"$tmp/adapter.prom" || fail "scraping the adapter failed"
curl -sf --max-time 5 "http://127.0.0.1:$exporter_port/metrics" >"$tmp/exporter.prom" || fail "scraping postfix-exporter failed"

# --- Exactly the load ----------------------------------------------------------

expect_value() { # SERIES WANT WHAT
  local got
  got=$(prom_value "$tmp/adapter.prom" "$1")
  [ "$got" = "$2" ] || fail "$1 is '$got', want $2 ($3)"
}
expect_value postfix_smtpd_connects_total "$connections" "SMTP connections made"
expect_value postfix_smtpd_disconnects_total "$connections" "SMTP connections made"
expect_value 'postfix_smtpd_connections_lost_total{after_stage="CONNECT"}' 1 "a client gone after the greeting"
expect_value 'postfix_smtpd_connections_lost_total{after_stage="EHLO"}' 1 "a client gone after EHLO"
expect_value 'postfix_smtpd_rejects_total{stage="RCPT",code="550"}' "$unknown_rcpts" "unknown recipients"
expect_value 'postfix_smtpd_rejects_total{stage="EHLO",code="501"}' "$bad_helos" "invalid HELO names"
expect_value 'postfix_smtpd_rejects_total{stage="CONNECT",code="554"}' "$bad_clients" "clients rejected"
expect_value 'postfix_smtpd_rejects_total{stage="MAIL",code="554"}' "$bad_senders" "senders rejected"
same_number "$(prom_sum "$tmp/adapter.prom" postfix_smtpd_rejects_total)" \
  $((unknown_rcpts + bad_helos + bad_clients + bad_senders)) || fail "rejects other than those sent"
expect_value 'postfix_smtpd_messages_processed_total{sasl_method=""}' "$accepted" "messages accepted"
same_number "$(prom_sum "$tmp/adapter.prom" postfix_smtpd_tls_connections_total)" "$tls_msgs" ||
  fail "$(prom_sum "$tmp/adapter.prom" postfix_smtpd_tls_connections_total) TLS sessions, $tls_msgs made"
same_number "$(prom_sum "$tmp/adapter.prom" postfix_smtp_tls_connections_total)" "$tls_out" ||
  fail "$(prom_sum "$tmp/adapter.prom" postfix_smtp_tls_connections_total) outgoing TLS sessions, the sink saw $tls_out"
expect_value 'postfix_deliveries_total{transport="local",status="sent"}' "$local_msgs" "local deliveries"
expect_value 'postfix_deliveries_total{transport="smtp",status="sent"}' "$relayed" "relayed messages"
expect_value 'postfix_deliveries_total{transport="smtp",status="deferred"}' "$deferred" "a dead next hop"
same_number "$(prom_sum "$tmp/adapter.prom" postfix_deliveries_total)" "$accepted" || fail "deliveries other than those sent"
expect_value 'postfix_relay_deliveries_total{relay="local",status="sent"}' "$local_msgs" "local deliveries"
expect_value 'postfix_relay_deliveries_total{relay="127.0.0.1",status="sent"}' "$relayed" "relayed messages"
expect_value 'postfix_relay_deliveries_total{relay="none",status="deferred"}' "$deferred" "a dead next hop"
expect_value 'postfix_delivery_delay_seconds_count{transport="smtp",status="sent"}' "$relayed" "relayed messages"
expect_value 'postfix_delivery_stage_delay_seconds_count{transport="local",stage="transmission"}' "$local_msgs" "local deliveries"
# The delays are the log's own, summed.
same_number "$(prom_value "$tmp/adapter.prom" 'postfix_delivery_delay_seconds_sum{transport="local",status="sent"}')" \
  "$(sed -n 's/.* postfix\/local\[.*, delay=\([0-9.]*\), .*status=sent .*/\1/p' "$tmp/mail.log" | awk '{ s += $1 } END { print s + 0 }')" ||
  fail "local delays differ from the log's sum"
expect_value 'postfix_smtp_connection_errors_total{error="refused"}' "$deferred" "a dead next hop"
expect_value postfix_qmgr_messages_inserted_size_bytes_count "$accepted" "messages accepted"
expect_value postfix_qmgr_messages_inserted_recipients_sum "$accepted" "one recipient each"
same_number "$(prom_value "$tmp/adapter.prom" postfix_qmgr_messages_inserted_size_bytes_sum)" \
  "$(sed -n 's/.* postfix\/qmgr\[.*, size=\([0-9]*\), nrcpt=.*/\1/p' "$tmp/mail.log" | awk '{ s += $1 } END { print s + 0 }')" ||
  fail "message sizes differ from the log's sum"
expect_value postfix_qmgr_messages_removed_total $((accepted - deferred)) "messages delivered"
expect_value postfix_cleanup_messages_processed_total "$accepted" "messages accepted"
expect_value 'postfix_log_messages_total{daemon="smtpd",severity="info"}' \
  "$(grep -c ' postfix/smtpd\[' "$tmp/mail.log")" "smtpd's lines"
# Every line is Postfix's (the marker's program is no known daemon).
same_number "$(prom_sum "$tmp/adapter.prom" postfix_log_messages_total)" "$lines" || fail "log lines not counted"
expect_value 'metrics_adapter_lines_unmatched_total{source="postfix"}' 0 "every line is Postfix's"

# --- The same numbers as the reference exporter's -------------------------------

# adapter series | exporter series (both counters or histogram parts).
while IFS='|' read -r ours reference; do
  got=$(prom_value "$tmp/adapter.prom" "$ours")
  want=$(prom_value "$tmp/exporter.prom" "$reference")
  if [ -z "$got" ] || [ -z "$want" ] || ! same_number "$got" "$want"; then
    fail "$ours is '$got', postfix-exporter's $reference '$want'"
  fi
done <<'PAIRS'
postfix_smtpd_connects_total|postfix_smtpd_connects_total
postfix_smtpd_disconnects_total|postfix_smtpd_disconnects_total
postfix_smtpd_connections_lost_total{after_stage="CONNECT"}|postfix_smtpd_connections_lost_total{after_stage="CONNECT"}
postfix_smtpd_connections_lost_total{after_stage="EHLO"}|postfix_smtpd_connections_lost_total{after_stage="EHLO"}
postfix_smtpd_rejects_total{stage="RCPT",code="550"}|postfix_smtpd_messages_rejected_total{code="550"}
postfix_smtpd_messages_processed_total{sasl_method=""}|postfix_smtpd_messages_processed_total{sasl_method=""}
postfix_deliveries_total{transport="smtp",status="deferred"}|postfix_smtp_status_deferred
postfix_qmgr_messages_removed_total|postfix_qmgr_messages_removed_total
postfix_cleanup_messages_processed_total|postfix_cleanup_messages_processed_total
postfix_qmgr_messages_inserted_size_bytes_count|postfix_qmgr_messages_inserted_size_bytes_count
postfix_qmgr_messages_inserted_size_bytes_sum|postfix_qmgr_messages_inserted_size_bytes_sum
postfix_qmgr_messages_inserted_recipients_count|postfix_qmgr_messages_inserted_receipients_count
postfix_qmgr_messages_inserted_recipients_sum|postfix_qmgr_messages_inserted_receipients_sum
PAIRS
# postfix-exporter 0.3.0 observes smtp's four delays=a/b/c/d parts all
# under stage="": its count is four per delivery, its sum all four parts.
for part in count sum; do
  got=$(awk -v p="postfix_delivery_stage_delay_seconds_$part{transport=\"smtp\"," 'index($1, p) == 1 { s += $2 } END { print s + 0 }' "$tmp/adapter.prom")
  want=$(prom_value "$tmp/exporter.prom" "postfix_smtp_delivery_delay_seconds_$part{stage=\"\"}")
  if [ -z "$want" ] || ! same_number "$got" "$want"; then
    fail "smtp's delays: $part $got, postfix-exporter's '$want' ($(grep '^postfix_smtp_delivery_delay_seconds_[cs]' "$tmp/exporter.prom" | tr '\n' ' '))"
  fi
  [ "$part" = sum ] || [ "$got" = $((4 * (relayed + deferred))) ] ||
    fail "smtp's delays: $got observations, want four for each of $((relayed + deferred)) smtp deliveries"
done
# The exporter labels TLS sessions by key sizes too: compare the sums.
for family in postfix_smtpd_tls_connections_total postfix_smtp_tls_connections_total; do
  same_number "$(prom_sum "$tmp/adapter.prom" "$family")" "$(prom_sum "$tmp/exporter.prom" "$family")" ||
    fail "$family differs from postfix-exporter's"
done
# Bucket by bucket: the same bounds (as numbers: 1e+06 is 1000000), the
# same counts.
buckets() { # FILE FAMILY
  awk -v f="$2_bucket{" 'index($1, f) == 1 && match($1, /le="[^"]*"/) {
    printf "%.17g %s\n", substr($1, RSTART + 4, RLENGTH - 5) + 0, $2 }' "$1"
}
for family in postfix_qmgr_messages_inserted_size_bytes postfix_qmgr_messages_inserted_recipients; do
  reference=${family/recipients/receipients}
  [ -n "$(buckets "$tmp/adapter.prom" "$family")" ] || fail "no $family buckets"
  diff <(buckets "$tmp/adapter.prom" "$family") <(buckets "$tmp/exporter.prom" "$reference") ||
    fail "$family buckets differ from postfix-exporter's $reference"
done
stop_pid exporter_pid

# --- The same log as a syslog daemon writes it ----------------------------------

# Postfix's maillog_file stamps "Dec 03 13:20:32"; syslog's traditional
# format pads the day with a space, rsyslog's default in Debian 12 is
# RFC 3339. Every postfix_ series must come out the same from each.
log_only() { # LOG NAME
  cat >"$tmp/$2.yaml" <<YAML
sources:
  - name: postfix
    type: file
    paths: [$1]
    from_beginning: true
    rules: [$root/rules/library/postfix/mail_log.yaml]
YAML
  timeout 60 "$adapter" once --config.file="$tmp/$2.yaml" >"$tmp/$2.prom" 2>"$tmp/$2.err" ||
    { cat "$tmp/$2.err"; fail "metrics-adapter once failed on $1"; }
  grep -E '^postfix_|^metrics_adapter_lines_unmatched_total' "$tmp/$2.prom"
}
log_only "$tmp/mail.log" postlogd >"$tmp/postlogd.series"
sed 's/^\([A-Z][a-z][a-z]\) 0\([1-9]\) /\1  \2 /' "$tmp/mail.log" >"$tmp/syslog.log"
year=$(date +%Y)
awk -v year="$year" 'BEGIN { split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", m, " "); for (i = 1; i <= 12; i++) n[m[i]] = i }
  { printf "%s-%02d-%02dT%s.%06d+00:00 %s\n", year, n[$1], $2, $3, NR, substr($0, 17) }' \
  "$tmp/mail.log" >"$tmp/rfc3339.log"
for framing in syslog rfc3339; do
  log_only "$tmp/$framing.log" "$framing" >"$tmp/$framing.series"
  diff "$tmp/postlogd.series" "$tmp/$framing.series" || fail "the $framing framing of the log counts differently"
done
head -1 "$tmp/rfc3339.log" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{6}\+00:00 [^ ]+ postfix/' ||
  fail "the RFC 3339 log is not framed as meant: $(head -1 "$tmp/rfc3339.log")"

echo "postfix: $connections SMTP connections ($local_msgs local, $relayed relayed, $deferred deferred," \
  "$unknown_rcpts unknown recipients, $bad_helos HELO, $bad_clients client and $bad_senders sender rejects," \
  "$tls_msgs TLS in, $tls_out out, 2 lost) counted exactly; same values as postfix-exporter; the same from syslog and RFC 3339 framings"
stop_adapter_cleanly
