# Installs pi on Windows: downloads the release archive for this machine and SHA256SUMS,
# checks the archive against it, and puts pi.exe in place atomically. Re-running upgrades.
#
#   irm <release location>/install.ps1 | iex
#
# PI_INSTALL_BASE_URL   where the archives and SHA256SUMS are (default: the project's releases)
# PI_INSTALL_DIR        where pi.exe goes (default: %LOCALAPPDATA%\pi\bin)
# PI_INSTALL_VERSION    a release tag instead of the latest (e.g. v0.2.0)
$ErrorActionPreference = 'Stop'

function Fail($message) {
  Write-Error "pi install: $message" -ErrorAction Continue
  exit 1
}

# Filled in by scripts/build.ts with where this release is published.
$releases = '@RELEASES@'
if ($releases.StartsWith('@') -and -not $env:PI_INSTALL_BASE_URL) { Fail 'this copy of install.ps1 does not know where releases are; set PI_INSTALL_BASE_URL' }
$defaultBase = if ($env:PI_INSTALL_VERSION) { "$releases/download/$($env:PI_INSTALL_VERSION)" } else { "$releases/latest/download" }
$baseUrl = if ($env:PI_INSTALL_BASE_URL) { $env:PI_INSTALL_BASE_URL } else { $defaultBase }
$installDir = if ($env:PI_INSTALL_DIR) { $env:PI_INSTALL_DIR } else { Join-Path $env:LOCALAPPDATA 'pi\bin' }

$arch = switch ($env:PROCESSOR_ARCHITECTURE) {
  'AMD64' { 'x64' }
  'ARM64' { 'arm64' }
  default { Fail "no pi build for the $($env:PROCESSOR_ARCHITECTURE) processor; pi is built for x64 and arm64" }
}
# An x64 PowerShell on an ARM64 machine reports AMD64; the native build is the better one.
if ($env:PROCESSOR_ARCHITEW6432 -eq 'ARM64') { $arch = 'arm64' }

$archive = "pi-windows-$arch.zip"
$tmp = Join-Path ([System.IO.Path]::GetTempPath()) ("pi-install-" + [System.Guid]::NewGuid())
New-Item -ItemType Directory -Path $tmp | Out-Null
try {
  Write-Host "Downloading $archive from $baseUrl"
  try {
    Invoke-WebRequest -UseBasicParsing -Uri "$baseUrl/$archive" -OutFile (Join-Path $tmp $archive)
    Invoke-WebRequest -UseBasicParsing -Uri "$baseUrl/SHA256SUMS" -OutFile (Join-Path $tmp 'SHA256SUMS')
  } catch {
    Fail "could not download from ${baseUrl}: $($_.Exception.Message)"
  }

  $expected = $null
  foreach ($line in Get-Content (Join-Path $tmp 'SHA256SUMS')) {
    $parts = $line -split '\s+', 2
    if ($parts.Count -eq 2 -and $parts[1].TrimStart('*') -eq $archive) { $expected = $parts[0].ToLower() }
  }
  if (-not $expected) { Fail "SHA256SUMS lists no $archive; nothing was installed" }
  $actual = (Get-FileHash -Algorithm SHA256 (Join-Path $tmp $archive)).Hash.ToLower()
  if ($expected -ne $actual) {
    Remove-Item -Force (Join-Path $tmp $archive)
    Fail "checksum mismatch for $archive (expected $expected, got $actual): the download is damaged or was tampered with; it was deleted and nothing was installed"
  }

  Expand-Archive -Path (Join-Path $tmp $archive) -DestinationPath (Join-Path $tmp 'out')
  $exe = Join-Path $tmp 'out\pi.exe'
  if (-not (Test-Path $exe)) { Fail "$archive holds no pi.exe; nothing was installed" }

  New-Item -ItemType Directory -Force -Path $installDir | Out-Null
  # Copy beside the target, then move over it, so no half-written pi.exe is ever in place.
  $staged = Join-Path $installDir ".pi.install.$PID.exe"
  Copy-Item $exe $staged
  Move-Item -Force $staged (Join-Path $installDir 'pi.exe')

  $version = & (Join-Path $installDir 'pi.exe') --version
  Write-Host "Installed $version to $(Join-Path $installDir 'pi.exe')"

  $userPath = [Environment]::GetEnvironmentVariable('Path', 'User')
  if (-not (($userPath -split ';') -contains $installDir)) {
    Write-Host ""
    Write-Host "$installDir is not on your PATH. Add it for your user with:"
    Write-Host "  [Environment]::SetEnvironmentVariable('Path', `"$installDir;`" + [Environment]::GetEnvironmentVariable('Path', 'User'), 'User')"
  }
} finally {
  Remove-Item -Recurse -Force $tmp -ErrorAction SilentlyContinue
}
