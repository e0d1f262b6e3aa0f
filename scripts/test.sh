#!/bin/sh
# The test suite's runner (npm test): builds pi, installs the reference program while the npm
# registry can be reached, then runs the suite in a network namespace of its own, where only
# a loopback exists. Nothing else on the machine can then hold a port the tests use (OpenAI's
# registered 1455, Anthropic's 53692, a shared CI runner's other jobs), and no test can reach
# past the machine by mistake. Without the rights to make one (not root, no unshare or ip, a
# container that forbids it), or with PI_TESTS_SHARED_NETWORK=1, it runs in the machine's
# network and says so; tests about busy ports then still hold the ports themselves.
#   scripts/test.sh [bun test arguments…] [test/… paths]   (no path: the whole suite)
set -eu
cd "$(dirname "$0")/.."
bun run scripts/build.ts
bun test/reference/reference.ts >/dev/null
case " $* " in
*" test/"*) ;;
*) set -- "$@" test/unit test/e2e test/conformance ;;
esac
set -- bun test --timeout 60000 --parallel=4 "$@"
export PI_BIN="$PWD/dist/pi"
if [ "${PI_TESTS_SHARED_NETWORK:-}" != 1 ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 &&
  command -v ip >/dev/null 2>&1 && unshare --net true 2>/dev/null; then
  echo "The tests run in a network of their own (unshare --net; PI_TESTS_SHARED_NETWORK=1 runs them in this machine's)."
  exec unshare --net -- sh -c 'ip link set lo up && exec "$@"' sh "$@"
fi
echo "The tests run in this machine's network: a port another program holds may fail a sign-in test."
exec "$@"
