#!/usr/bin/env bash
# The one list of Debian 12 packages metrics-adapter needs, by group, and the
# commands each provides. Everything that installs a package or checks for a
# command reads this table; nothing else names packages.
#
# Usage:
#   scripts/deps.sh [GROUP...]        install what the groups need (default:
#                                     build test pod, what scripts/test.sh runs)
#   scripts/deps.sh --require CMD...  exit 1 with one line per command that does
#                                     not resolve, naming its package
#   scripts/deps.sh --verify [GROUP...]
#                                     exit 1 unless every package of the groups
#                                     is installed and every command resolves
#   scripts/deps.sh --list [GROUP...] print the groups' packages, one a line
#
# Idempotent: a package counts as present when dpkg has it installed, or when
# every command it provides already resolves (a node/npm from elsewhere, say);
# apt runs only when something is missing, with --no-install-recommends, so
# whatever a tool merely recommends but the tests need is listed here itself.
set -euo pipefail

# group   package                    commands it provides ("-": a library or data)
table='
build     g++                        g++
build     make                       make
build     binutils                   readelf
build     cmake                      cmake
build     pkg-config                 pkg-config
build     prometheus-cpp-dev         -
build     libcivetweb-dev            -
build     libre2-dev                 -
build     libsimdjson-dev            -
build     nlohmann-json3-dev         -
build     libspdlog-dev              -
build     libyaml-cpp-dev            -
build     libyaml-dev                -
build     zlib1g-dev                 -
build     libcurl4-openssl-dev       -
build     libssl-dev                 -
build     libcrypt-dev               -
build     ca-certificates            -
build     doctest-dev                -
build     libbenchmark-dev           -
build     libprotobuf-dev            -
build     protobuf-compiler          protoc
build     libabsl-dev                -
build     tzdata                     -
test      ccache                     ccache
test      clang-format               clang-format
test      clang-tidy                 clang-tidy
test      shellcheck                 shellcheck
test      curl                       curl
test      openssl                    openssl
test      procps                     ps
test      time                       /usr/bin/time
test      gzip                       gzip
test      util-linux                 setsid nsenter flock
test      python3                    python3
test      prometheus                 prometheus promtool
test      nginx                      nginx
test      apache2-bin                apache2
test      haproxy                    haproxy
test      redis-server               redis-server
test      memcached                  memcached
test      varnish                    varnishd varnishstat
test      nodejs                     node
test      npm                        npm
test      mariadb-server             mariadbd mariadb-install-db
test      mariadb-client             mariadb
test      prometheus-mysqld-exporter prometheus-mysqld-exporter
test      bind9                      named
test      bind9-dnsutils             dig
test      prometheus-bind-exporter   prometheus-bind-exporter
test      squid                      squid
test      prometheus-squid-exporter  prometheus-squid-exporter
test      postgresql                 -
test      postgresql-client          psql
test      pgbouncer                  pgbouncer
test      bsdutils                   logger
test      prometheus-redis-exporter  prometheus-redis-exporter
test      prometheus-haproxy-exporter prometheus-haproxy-exporter
test      prometheus-apache-exporter prometheus-apache-exporter
test      php8.2-fpm                 php-fpm8.2
test      prometheus-varnish-exporter prometheus-varnish-exporter
test      postfix                    postfix postlog
test      prometheus-postfix-exporter prometheus-postfix-exporter
test      passwd                     groupadd useradd
pod       podman                     podman
pod       catatonit                  catatonit
pod       conmon                     conmon
pod       runc                       runc
pod       netavark                   -
pod       mmdebstrap                 mmdebstrap
bench     mtail                      mtail
bench     valgrind                   valgrind callgrind_annotate
fuzz      clang                      clang++
'
default_groups=(build test pod)

# debconf answers set before apt installs a package, so that an install
# without a terminal asks nothing and configures nothing on the machine:
# "package question type value", as debconf-set-selections reads them.
# postfix: no system-wide mail configuration (the tests run instances of
# their own). Installing it replaces another MTA (exim4), which apt-get
# removes without asking (-y).
preseed='
postfix   postfix/main_mailer_type   select  No configuration
'

# Commands under sbin resolve for root and non-root callers alike.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

rows() {  # rows GROUP...: "package commands..." of the groups' rows
  local groups=" $* "
  awk -v groups="$groups" 'NF >= 3 && index(groups, " " $1 " ") { $1 = ""; print substr($0, 2) }' <<<"$table"
}

known_group() {
  awk -v g="$1" '$1 == g { found = 1 } END { exit !found }' <<<"$table"
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# present PACKAGE COMMAND...: installed, or each of its commands resolves.
present() {
  local package=$1 command
  shift
  installed "$package" && return 0
  [ "$1" != - ] || return 1
  for command in "$@"; do command -v "$command" >/dev/null || return 1; done
}

require() {
  local command package missing=0
  for command in "$@"; do
    command -v "$command" >/dev/null && continue
    package=$(awk -v c="$command" 'NF >= 3 { for (i = 3; i <= NF; i++) if ($i == c) { print $2; exit } }' <<<"$table")
    echo "FAIL: missing command $command: Debian package ${package:-(not in scripts/deps.sh)} provides it; run scripts/deps.sh"
    missing=1
  done
  return "$missing"
}

groups_or_default() {
  if (($#)); then
    local g
    for g in "$@"; do known_group "$g" || { echo "deps.sh: unknown group '$g'" >&2; exit 2; }; done
    echo "$@"
  else
    echo "${default_groups[@]}"
  fi
}

verify() {
  local row bad=0
  while read -ra row; do
    present "${row[@]}" || { echo "missing package ${row[0]}"; bad=1; }
    [ "${row[1]}" = - ] || require "${row[@]:1}" || bad=1
  done < <(rows "$@")
  return "$bad"
}

install() {
  local row missing=()
  while read -ra row; do
    present "${row[@]}" || missing+=("${row[0]}")
  done < <(rows "$@")
  ((${#missing[@]})) || return 0
  echo "deps.sh: installing ${missing[*]}" >&2
  local sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  local answers
  answers=$(awk -v p=" ${missing[*]} " 'NF >= 4 && index(p, " " $1 " ")' <<<"$preseed")
  [ -z "$answers" ] || "${sudo_cmd[@]}" debconf-set-selections <<<"$answers"
  timeout 600 "${sudo_cmd[@]}" apt-get update -qq
  timeout 1800 "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

case ${1:-} in
  --require) shift; require "$@" ;;
  --verify) shift; read -ra gs <<<"$(groups_or_default "$@")"; verify "${gs[@]}" ;;
  --list) shift; read -ra gs <<<"$(groups_or_default "$@")"; rows "${gs[@]}" | awk '{ print $1 }' ;;
  -*) sed -n '2,/^set -euo/p' "$0" | sed '$d' >&2; exit 2 ;;
  *) read -ra gs <<<"$(groups_or_default "$@")"; install "${gs[@]}" ;;
esac
