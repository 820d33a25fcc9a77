#!/bin/sh
# Writes umig's outputs for the project's own interfaces into DIR/<name>/
# (User.c, Server.c, user.h, Server.h).  `make umig-golden` runs it with
# DIR = tests/stubs/golden to regenerate the goldens after a deliberate
# change of the generated code; check_umig_golden runs it into a scratch
# directory, from another working directory, and compares.
# usage: golden.sh UMIG DIR
set -eu
umig=$1
out=$2
top=$(cd "$(dirname "$0")/../.." && pwd)

gen() {   # name defs [cpp flags...]
	name=$1 defs=$2
	shift 2
	mkdir -p "$out/$name"
	"$umig" "$@" -user "$out/$name/User.c" -server "$out/$name/Server.c" \
		-header "$out/$name/user.h" -sheader "$out/$name/Server.h" \
		"$top/$defs"
}

gen netname tasks/netname/netname.defs
gen rt tests/stubs/rt.defs
gen calc tests/stubs/calc.defs -I "$top/tests/stubs" -DCALC_EXTRA
