# check NAME WANT_STATUS PATTERN -- command...: runs the command, expects its
# exit status and a line of its output (stdout and stderr) matching PATTERN.
# Sourced by the shell tests; they end with `finish`.
fails=0
check() { # check NAME WANT_STATUS PATTERN -- command...
  local name=$1 want=$2 pattern=$3; shift 4
  local out status
  out=$("$@" 2>&1); status=$?
  if [ "$status" != "$want" ]; then
    echo "FAIL $name: exit $status, want $want"; echo "$out" | head -20; fails=$((fails + 1))
  elif ! grep -qE -- "$pattern" <<<"$out"; then
    echo "FAIL $name: output lacks /$pattern/"; echo "$out" | head -20; fails=$((fails + 1))
  else
    echo "ok   $name"
  fi
}
finish() { [ "$fails" = 0 ] || { echo "$fails check(s) failed"; exit 1; }; }
