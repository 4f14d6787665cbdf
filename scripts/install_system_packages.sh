#!/bin/sh
# System packages the project's own set-up installs when it can: Debian's
# chromium, which the screenshot tests use to render reports headless.
# Idempotent: does nothing when chromium is already on PATH; as a non-root
# user, or without apt-get, it says what is missing and carries on (the
# screenshot tests then skip with the same message).
set -eu

if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "chromium not found: install Debian's chromium package (apt-get install chromium) to run the screenshot tests" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
