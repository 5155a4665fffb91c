#!/bin/sh
# test_packaging.sh <source dir> <build dir>
set -eu
SRC=$1
BUILD=$2

fail() { echo "FAIL: $*" >&2; exit 1; }

for tool in cpack dpkg-deb rpmbuild lintian rpmlint help2man; do
    command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not installed"; exit 77; }
done

if [ "${3:-}" = "--reuse-build" ]; then
    # The suite's own build (configured with CMAKE_INSTALL_PREFIX=/usr by
    # scripts/test) is packaged as it is: no second compilation.
    echo "== packaging the existing build in $BUILD"
    (cd "$BUILD" && rm -f flex-backend_*.deb flex-backend-*.rpm && cpack -G "DEB;RPM" >cpack.log 2>&1) \
        || { cat "$BUILD/cpack.log"; fail "cpack"; }
    OUT="$(ls "$BUILD"/flex-backend_*.deb | head -n1)
$(ls "$BUILD"/flex-backend-*.rpm | head -n1)"
else
    echo "== building packages in $BUILD"
    OUT=$(BUILD_DIR="$BUILD" "$SRC/scripts/package" --no-deps 2>&1) || { echo "$OUT"; fail "scripts/package"; }
fi
DEB=$(echo "$OUT" | tail -n 2 | head -n 1)
RPM=$(echo "$OUT" | tail -n 1)
case "$DEB" in */flex-backend_*_*.deb) ;; *) echo "$OUT"; fail "no .deb path printed" ;; esac
case "$RPM" in */flex-backend-*.*.rpm) ;; *) echo "$OUT"; fail "no .rpm path printed" ;; esac
[ -f "$DEB" ] && [ -f "$RPM" ] || fail "package files missing"

echo "== contents"
dpkg-deb -c "$DEB"
for path in ./usr/bin/flex-backend ./etc/flex-backend/flex-backend.env \
            /flex-backend.service ./usr/share/man/man1/flex-backend.1.gz \
            ./usr/share/doc/flex-backend/copyright ./usr/share/doc/flex-backend/changelog.gz; do
    dpkg-deb -c "$DEB" | grep -q -- "$path" || fail "$path missing from $DEB"
done
dpkg-deb -e "$DEB" "$BUILD/control"
grep -qx /etc/flex-backend/flex-backend.env "$BUILD/control/conffiles" || fail "env file is not a conffile"
# Nothing active in the shipped env file.
dpkg-deb --fsys-tarfile "$DEB" | tar -xOf - ./etc/flex-backend/flex-backend.env \
    | grep -v '^#' | grep -q '[^[:space:]]' && fail "active setting in flex-backend.env"
rpm -qlp "$RPM" | grep -q /usr/bin/flex-backend || fail "binary missing from $RPM"

echo "== lintian"
lintian --fail-on error "$DEB" || fail "lintian reports errors"

echo "== rpmlint"
RPMLINT_OUT=$(rpmlint -c "$SRC/packaging/rpm/rpmlintrc.toml" "$RPM" 2>&1 || true)
echo "$RPMLINT_OUT"
echo "$RPMLINT_OUT" | grep -q " 0 errors" || fail "rpmlint reports errors"

if [ "$(id -u)" -ne 0 ]; then
    echo "SKIPPED the install part (dpkg -i, --version, systemd-analyze verify, purge): not root"
    exit 0
fi
if dpkg -s flex-backend >/dev/null 2>&1; then
    echo "SKIPPED the install part: flex-backend is already installed on this machine"
    exit 0
fi

echo "== dpkg -i"
dpkg -i "$DEB" || fail "dpkg -i"
trap 'dpkg --purge flex-backend >/dev/null 2>&1 || true' EXIT
/usr/bin/flex-backend --version || fail "flex-backend --version"
UNITDIR=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
systemd-analyze verify --man=no "$UNITDIR/flex-backend.service" || fail "systemd-analyze verify"
getent passwd flex-backend >/dev/null || fail "system user not created"
[ "$(stat -c %a:%U:%G /etc/flex-backend/flex-backend.env)" = "640:root:flex-backend" ] \
    || fail "env file mode/owner: $(stat -c %a:%U:%G /etc/flex-backend/flex-backend.env)"
if [ -d /run/systemd/system ]; then
    systemctl is-enabled --quiet flex-backend.service && fail "installing enabled the service"
    systemctl is-active --quiet flex-backend.service && fail "installing started the service"
fi

echo "== dpkg --purge"
dpkg --purge flex-backend || fail "dpkg --purge"
trap - EXIT
[ ! -e /etc/flex-backend ] || fail "/etc/flex-backend left after purge"
[ ! -e /var/lib/flex-backend ] || fail "/var/lib/flex-backend left after purge"
[ ! -e "$UNITDIR/flex-backend.service" ] || fail "unit left after purge"
echo "PASS"
