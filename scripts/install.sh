#!/bin/sh
# Installs pi: downloads the release archive for this machine, SHA256SUMS and its signature,
# checks the signature with the release key below (openssl is required) and the archive
# against SHA256SUMS, and puts the binary in place atomically. Re-running upgrades; it never
# replaces a newer pi with an older release unless PI_INSTALL_VERSION names it.
#
#   curl -fsSL <release location>/install.sh | sh
#
# PI_INSTALL_BASE_URL   where the archives and SHA256SUMS are (default: the project's releases)
# PI_INSTALL_DIR        where pi goes (default: ~/.local/bin)
# PI_INSTALL_VERSION    a release tag instead of the latest (e.g. v0.2.0)
# PI_INSTALL_OS / PI_INSTALL_ARCH / PI_INSTALL_LIBC   override detection (uname -s / uname -m / musl|glibc)
set -eu

# Filled in by scripts/build.ts with where this release is published; unfilled (a copy from
# the source tree), PI_INSTALL_BASE_URL must say where the archives are.
RELEASES="@RELEASES@"
case "$RELEASES" in
  "" | @*) [ -n "${PI_INSTALL_BASE_URL:-}" ] || { printf 'pi install: this copy of install.sh does not know where releases are; set PI_INSTALL_BASE_URL\n' >&2; exit 1; } ;;
esac
if [ -n "${PI_INSTALL_VERSION:-}" ]; then
  DEFAULT_BASE="$RELEASES/download/$PI_INSTALL_VERSION"
else
  DEFAULT_BASE="$RELEASES/latest/download"
fi
BASE_URL="${PI_INSTALL_BASE_URL:-$DEFAULT_BASE}"
# The release public key (Ed25519), filled in by scripts/build.ts: SHA256SUMS must carry its signature.
RELEASE_KEY_PEM="@RELEASE_KEY_PEM@"
INSTALL_DIR="${PI_INSTALL_DIR:-${HOME:?HOME is not set; set PI_INSTALL_DIR}/.local/bin}"

fail() {
  printf 'pi install: %s\n' "$1" >&2
  exit 1
}

say() {
  printf '%s\n' "$1"
}

os_name="${PI_INSTALL_OS:-$(uname -s)}"
case "$os_name" in
  Linux | linux) os=linux ;;
  Darwin | darwin) os=darwin ;;
  MINGW* | MSYS* | CYGWIN* | Windows*) fail "on Windows, use PowerShell: irm $RELEASES/latest/download/install.ps1 | iex" ;;
  *) fail "no pi build for $os_name; pi is built for Linux, macOS and Windows (build from source: see the README)" ;;
esac

machine="${PI_INSTALL_ARCH:-$(uname -m)}"
case "$machine" in
  x86_64 | amd64 | x64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) fail "no pi build for the $machine processor; pi is built for x64 and arm64 (build from source: see the README)" ;;
esac

# An x64 shell under Rosetta on Apple silicon: the native build is the better one.
if [ "$os" = darwin ] && [ "$arch" = x64 ] && [ -z "${PI_INSTALL_ARCH:-}" ]; then
  if [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || echo 0)" = 1 ]; then arch=arm64; fi
fi

suffix=""
if [ "$os" = linux ]; then
  libc="${PI_INSTALL_LIBC:-}"
  if [ -z "$libc" ]; then
    if ls /lib/ld-musl-* >/dev/null 2>&1 || (ldd --version 2>&1 | grep -qi musl); then libc=musl; else libc=glibc; fi
  fi
  case "$libc" in
    musl) suffix="-musl" ;;
    glibc | gnu) suffix="" ;;
    *) fail "PI_INSTALL_LIBC must be musl or glibc, not $libc" ;;
  esac
fi

name="pi-$os-$arch$suffix"
archive="$name.tar.gz"

if command -v curl >/dev/null 2>&1; then
  fetch() { curl -fsSL --retry 2 -o "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
  fetch() { wget -q -O "$2" "$1"; }
else
  fail "neither curl nor wget is installed; install one of them and run this again"
fi

if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum "$1" | awk '{print $1}'; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 "$1" | awk '{print $1}'; }
else
  fail "neither sha256sum nor shasum is installed, so the download cannot be checked; install one and run this again"
fi

tmp="$(mktemp -d 2>/dev/null || mktemp -d -t pi-install)"
trap 'rm -rf "$tmp"' EXIT INT TERM

say "Downloading $archive from $BASE_URL"
fetch "$BASE_URL/$archive" "$tmp/$archive" || fail "could not download $BASE_URL/$archive; check the address and your connection"
fetch "$BASE_URL/SHA256SUMS" "$tmp/SHA256SUMS" || fail "could not download $BASE_URL/SHA256SUMS; check the address and your connection"

# The signature proves who made SHA256SUMS; the checksum below only that the download matches it.
case "$RELEASE_KEY_PEM" in
  "" | @*) say "This copy of install.sh carries no release key, so the signature of SHA256SUMS was not checked." ;;
  *)
    fetch "$BASE_URL/SHA256SUMS.sig" "$tmp/SHA256SUMS.sig" || fail "could not download $BASE_URL/SHA256SUMS.sig; a release without its signature is not installed"
    if command -v openssl >/dev/null 2>&1; then
      printf '%s\n' "$RELEASE_KEY_PEM" > "$tmp/release-key.pem"
      openssl base64 -d -A -in "$tmp/SHA256SUMS.sig" -out "$tmp/SHA256SUMS.sig.bin" 2>/dev/null || fail "SHA256SUMS.sig is not a signature; nothing was installed"
      openssl pkeyutl -verify -pubin -inkey "$tmp/release-key.pem" -rawin -in "$tmp/SHA256SUMS" -sigfile "$tmp/SHA256SUMS.sig.bin" >/dev/null 2>&1 ||
        fail "SHA256SUMS is not signed by pi's release key: it may have been tampered with; nothing was installed"
      say "Signature of SHA256SUMS checked."
    else
      # A checksum from the same server proves nothing about who made the binary: without the
      # signature checked, nothing is installed.
      fail "openssl is not installed, so the signature of SHA256SUMS cannot be checked and nothing was installed; install openssl (apt-get install openssl, apk add openssl, dnf install openssl) and run this again"
    fi
    ;;
esac

expected="$(awk -v f="$archive" '$2 == f || $2 == "*" f {print $1}' "$tmp/SHA256SUMS")"
[ -n "$expected" ] || fail "SHA256SUMS lists no $archive; nothing was installed"
actual="$(sha256 "$tmp/$archive")"
if [ "$expected" != "$actual" ]; then
  rm -f "$tmp/$archive"
  fail "checksum mismatch for $archive (expected $expected, got $actual): the download is damaged or was tampered with; it was deleted and nothing was installed"
fi

tar -xzf "$tmp/$archive" -C "$tmp" pi || fail "$archive could not be unpacked; nothing was installed"
[ -f "$tmp/pi" ] || fail "$archive holds no pi; nothing was installed"

mkdir -p "$INSTALL_DIR" || fail "cannot create $INSTALL_DIR; set PI_INSTALL_DIR to a directory you can write"
# A directory others may write to without the sticky bit lets them swap the file between
# the copy and the rename: pi is not installed there.
if [ -n "$(find "$INSTALL_DIR" -maxdepth 0 -perm -0002 ! -perm -1000 2>/dev/null)" ]; then
  fail "$INSTALL_DIR can be written by every user, so the installed file could be swapped; set PI_INSTALL_DIR to a directory only you can write"
fi
# Copy beside the target under a name nobody can guess or plant (mktemp creates it, refusing
# to follow anything already there), then rename over it: a running pi, or an interrupted
# install, never sees a half-written file.
staged="$(mktemp "$INSTALL_DIR/.pi.install.XXXXXXXX")" || fail "cannot write to $INSTALL_DIR; set PI_INSTALL_DIR to a directory you can write"
cp "$tmp/pi" "$staged" || { rm -f "$staged"; fail "cannot write to $INSTALL_DIR; set PI_INSTALL_DIR to a directory you can write"; }
chmod 755 "$staged"
# Try it before it replaces anything: a build that cannot run here must not displace a working pi.
if ! version="$("$staged" --version 2>/dev/null)"; then
  rm -f "$staged"
  fail "the $name build does not run on this machine (wrong C library? set PI_INSTALL_LIBC=musl or glibc); nothing was installed"
fi
# A mirror may keep serving an older signed release as the latest: it never replaces a newer
# pi unless PI_INSTALL_VERSION asks for that release by name.
numbers() { printf '%s\n' "$1" | awk '{ v = $2; sub(/^v/, "", v); sub(/[-+].*/, "", v); print v }'; }
older() {
  awk -v a="$1" -v b="$2" 'BEGIN { n = split(a, x, "."); m = split(b, y, "."); k = n > m ? n : m;
    for (i = 1; i <= k; i++) { if ((x[i] + 0) < (y[i] + 0)) exit 0; if ((x[i] + 0) > (y[i] + 0)) exit 1 } exit 1 }'
}
if [ -z "${PI_INSTALL_VERSION:-}" ] && [ -x "$INSTALL_DIR/pi" ] && current="$("$INSTALL_DIR/pi" --version 2>/dev/null)"; then
  if older "$(numbers "$version")" "$(numbers "$current")"; then
    rm -f "$staged"
    fail "$BASE_URL offers $(numbers "$version") as the latest, older than the $(numbers "$current") in $INSTALL_DIR; nothing was installed (set PI_INSTALL_VERSION=v$(numbers "$version") to go back on purpose)"
  fi
fi
mv -f "$staged" "$INSTALL_DIR/pi" || { rm -f "$staged"; fail "cannot replace $INSTALL_DIR/pi"; }
say "Installed $version to $INSTALL_DIR/pi"

case ":${PATH:-}:" in
  *":$INSTALL_DIR:"*) ;;
  *)
    say ""
    say "$INSTALL_DIR is not on your PATH. Add it, for example:"
    say "  echo 'export PATH=\"$INSTALL_DIR:\$PATH\"' >> ~/.profile && . ~/.profile"
    ;;
esac
