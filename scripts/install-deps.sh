#!/usr/bin/env bash
# Installs the system packages Knobs needs to build and test, when they are missing.
#
#   scripts/install-deps.sh PACKAGE...   (the Debian package names, from the Makefile)
#
# Debian/Ubuntu: installs the missing packages with apt-get, as root or through sudo
# without a password; otherwise prints the command to run. macOS: checks for the
# Xcode command line tools. Other systems: says what is needed and carries on.
set -euo pipefail

missing_debian_packages() {
	local pkg
	for pkg in "$@"; do
		if ! dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$'; then
			echo "$pkg"
		fi
	done
}

install_debian() {
	local missing
	mapfile -t missing < <(missing_debian_packages "$@")
	if [ "${#missing[@]}" -eq 0 ]; then
		return 0
	fi

	local sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
			sudo=(sudo)
		else
			echo "Knobs needs these Debian packages: ${missing[*]}" >&2
			echo "Install them with:" >&2
			echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
			exit 1
		fi
	fi

	echo "Installing Debian packages: ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update -qq
	"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
}

check_macos() {
	if ! xcode-select -p >/dev/null 2>&1; then
		echo "Knobs needs the Xcode command line tools. Install them with:" >&2
		echo "  xcode-select --install" >&2
		exit 1
	fi
}

case "$(uname -s)" in
Linux)
	if [ -f /etc/debian_version ] && command -v dpkg-query >/dev/null; then
		install_debian "$@"
	else
		echo "Not a Debian system: install the equivalents of: $*" >&2
	fi
	;;
Darwin)
	check_macos
	;;
*)
	echo "Unsupported system $(uname -s): Knobs builds on Linux and macOS." >&2
	;;
esac
