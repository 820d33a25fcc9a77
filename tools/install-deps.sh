#!/bin/sh
# Install the Debian packages umach needs to build, test and benchmark.
# Runs apt-get as root, or through sudo.
set -eu
pkgs="gcc make pkg-config check libffi-dev nettle-dev iproute2 valgrind
      gnumach-dev mig-for-host dbus libdbus-1-dev gnuplot-nox mscgen clang"
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
echo "install-deps: installed $(echo $pkgs | wc -w) packages"
