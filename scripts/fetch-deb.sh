#!/usr/bin/env bash
# Usage: scripts/fetch-deb.sh <debian-release> <package> <dest-dir>
#
# Unpacks the newest <package> of another Debian release (e.g. bullseye's consul, trixie's patroni) into <dest-dir>
# without installing it and without touching the system's apt configuration: apt reads a private sources list that
# names <debian-release> on the mirror the machine's own apt sources already use (read here at run time, so no
# registry host is written into the repository), keeps its lists and cache in <dest-dir>'s parent, and the .deb is
# unpacked with dpkg-deb -x. apt resolves the version: a point release renames the .deb, so no file name is fixed.
#
# Idempotent: when <dest-dir> already holds the package from that release it returns at once without network access
# (FETCH_DEB_REFRESH=1 asks apt again and re-unpacks only if the version changed). The unpacked tree replaces the
# old one in one rename, so an interrupted run never leaves a half-unpacked <dest-dir> that looks complete.
# Prints the unpacked version on stdout.
set -euo pipefail

log() { printf '[fetch-deb] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[ $# -eq 3 ] || die "usage: $0 <debian-release> <package> <dest-dir>"
release=$1 package=$2 dest=$3
case "$release$package" in *[!a-z0-9.+-]*) die "bad release or package name: '$release' '$package'";; esac
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || die "needs apt-get and dpkg-deb (Debian)"

marker="$dest/.fetch-deb"
if [ -f "$marker" ] && [ "${FETCH_DEB_REFRESH:-0}" != 1 ]; then
  read -r m_release m_package m_version < "$marker" || true
  if [ "$m_release" = "$release" ] && [ "$m_package" = "$package" ]; then
    log "$package $m_version ($release) already in $dest"
    echo "$m_version"
    exit 0
  fi
fi

# The mirror: the URI of the machine's own entry for its main suite (not -security/-updates: those hold only a few
# packages). deb822 first (Debian 12's default), then the one-line format.
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || die "no VERSION_CODENAME in /etc/os-release"
mirror="" keyring=""
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  # One stanza per paragraph; pick the one whose Suites lists the bare codename.
  read -r mirror keyring < <(awk -v want="$codename" '
    function flush() { if (ok && isdeb && uri != "") { print uri, key; found = 1; exit } ok = 0; isdeb = 0; uri = ""; key = "" }
    /^[[:space:]]*$/ { flush(); next }
    /^#/ { next }
    tolower($1) == "types:"     { isdeb = 0; for (i = 2; i <= NF; i++) if ($i == "deb") isdeb = 1 }
    tolower($1) == "uris:"      { uri = $2 }
    tolower($1) == "suites:"    { for (i = 2; i <= NF; i++) if ($i == want) ok = 1 }
    tolower($1) == "signed-by:" { key = $2 }
    END { if (!found && ok && isdeb && uri != "") print uri, key }
  ' /etc/apt/sources.list.d/debian.sources) || true
fi
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  # deb [options] URI SUITE COMPONENTS...
  mirror=$(awk -v want="$codename" '$1 == "deb" {
      i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
      if ($(i + 1) == want) { print $i; exit } }' /etc/apt/sources.list)
fi
[ -n "$mirror" ] || die "cannot find the Debian mirror for '$codename' in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"
if [ -z "$keyring" ] || [ ! -f "$keyring" ]; then
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
fi
[ -f "$keyring" ] || die "no Debian archive keyring at $keyring (package debian-archive-keyring)"

parent=$(dirname "$dest")
mkdir -p "$parent"
work="$parent/.apt-$release"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/etc"
exec 9>"$work/lock"
flock 9   # two setups at once share the lists; the second waits

printf 'deb [signed-by=%s] %s %s main\n' "$keyring" "$mirror" "$release" > "$work/etc/sources.list"
apt_opts=(-q -o "Dir::Etc::SourceList=$work/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null
          -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
          -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
          # The private dirs belong to whoever runs this, so apt's _apt sandbox user could not write them.
          -o APT::Sandbox::User="$(id -un)")
log "apt-get update ($release main on $mirror)"
apt-get "${apt_opts[@]}" update >"$work/update.log" 2>&1 || { cat "$work/update.log" >&2; die "apt-get update failed"; }

version=$(apt-cache "${apt_opts[@]}" show --no-all-versions "$package" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)
[ -n "$version" ] || die "$release has no package '$package'"
if [ -f "$marker" ]; then
  read -r m_release m_package m_version < "$marker" || true
  if [ "$m_release $m_package $m_version" = "$release $package $version" ]; then
    log "$package $version ($release) already in $dest"
    echo "$version"
    exit 0
  fi
fi

dl=$(mktemp -d "$work/dl.XXXXXX")
new=$(mktemp -d "$parent/.new-$(basename "$dest").XXXXXX")
trap 'rm -rf "$dl" "$new"' EXIT
log "downloading $package=$version"
(cd "$dl" && apt-get "${apt_opts[@]}" download "$package=$version" >&2)
debs=("$dl"/*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || die "apt-get download left no single .deb in $dl"
dpkg-deb -x "${debs[0]}" "$new"
printf '%s %s %s\n' "$release" "$package" "$version" > "$new/.fetch-deb"
chmod 755 "$new"   # mktemp makes it 0700; the rig runs these binaries as 'postgres'
rm -rf "$dest.old"
[ -e "$dest" ] && mv "$dest" "$dest.old"
mv "$new" "$dest"
rm -rf "$dest.old"
log "unpacked $package $version ($release) into $dest"
echo "$version"
