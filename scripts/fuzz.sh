#!/usr/bin/env bash
# Runs every Fuzz* target of the module for FUZZTIME each, one after the
# other. Usage: fuzz.sh FUZZTIME [extra go test flags...]
#
# A finding fails the run: go test writes the input under the package's
# testdata/fuzz/<Target>/ and prints "Failing input written to". Go's fuzzer
# also exits non-zero with only "context deadline exceeded" when -fuzztime
# ends while a worker is still minimizing a new *coverage* input (not a
# failure); that one case is run once more instead of failing the build.
set -uo pipefail
fuzztime=$1; shift
go=${GO:-go}
status=0
for dir in $(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do
	for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go | sed 's/^func //' | sort -u); do
		for try in 1 2; do
			echo "== $dir $f"
			out=$("$go" test -run '^$' -fuzz "^$f\$" -fuzztime "$fuzztime" -timeout 0 "$@" "$dir" 2>&1)
			rc=$?
			echo "$out" | tail -n 4
			if [ $rc -eq 0 ]; then break; fi
			if [ $try -eq 1 ] && ! grep -q "Failing input written" <<<"$out" && grep -q "context deadline exceeded" <<<"$out"; then
				echo "(fuzzer deadline hit during minimization of a coverage input: running $f again)"
				continue
			fi
			echo "$out"
			status=1
			break
		done
	done
done
exit $status
