#!/bin/sh
# Installs everything Airlock needs to build, run and test on Debian 12.
# Run as root. Idempotent. Every dependency of the project is listed here.
set -eu

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: run as root (apt-get installs packages)" >&2
	exit 1
fi

# Sendmail is not installed (it conflicts with Postfix): tests/e2e/test_sendmail.py
# unpacks Debian's sendmail-bin/-base/-cf (apt-get download) into the build
# directory; it needs m4 (to build its .cf) and libwrap0 (the daemon links it).
# dpkg-dev, debhelper and lintian build and check the Debian package
# (debian/, tests/package/test_package.py); git lists the files it copies.
# Postfix is installed without any configuration: the tests run private
# instances of their own and nothing is started system-wide. The same for
# PostgreSQL (tests/lib/pg.py runs a private server; without systemd the
# package's own cluster is not started).
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	build-essential cmake pkg-config \
	libglib2.0-dev libgmime-3.0-dev libmagic-dev libmagic-mgc libclamav-dev \
	libmilter-dev libsqlite3-dev \
	python3 file zip unzip p7zip-full \
	clamav-testfiles miltertest postfix faketime \
	chromium fonts-dejavu-core \
	libxml2-dev \
	libqpdf-dev qpdf \
	libpoppler-glib-dev libcairo2-dev libgdk-pixbuf-2.0-dev libgif-dev libwebp-dev libheif-dev libseccomp-dev zlib1g-dev \
	libytnef0-dev libssl-dev openssl \
	libarchive-dev libarchive-tools zstd lzip ncompress xz-utils binutils cpio \
	python3-docx python3-openpyxl python3-xlsxwriter python3-xlwt python3-odf python3-reportlab python3-pil python3-pydicom ghostscript sox lame vorbis-tools \
	python3-icalendar python3-vobject python3-pypdf gnumeric poppler-utils librsvg2-bin libtiff-tools flac \
	libheif-examples \
	libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui \
	clang libclang-rt-14-dev valgrind \
	m4 libwrap0 \
	dpkg-dev debhelper lintian git \
	libmicrohttpd-dev libsodium-dev python3-websocket \
	postgresql libpq-dev \
	>/dev/null
# The daemon's own user (the bundled configuration's [milter] user).
if ! getent passwd airlock >/dev/null; then
	useradd --system --home-dir /var/lib/airlock --no-create-home --shell /usr/sbin/nologin airlock
fi
echo "install-deps.sh: dependencies installed"
